#pragma once
// Export of a table or tree: the selected rows or all rows, as CSV (RFC 4180: a header line,
// CRLF line ends, a field with a comma, a quote or a line break quoted and its quotes doubled)
// or as JSON (an array of objects keyed by the column headers, in column order, the same
// names rowAsJson gives), to the clipboard or to a file.
//
// A table of a million rows must not freeze the window: the rows are read on the GUI thread
// in slices of at most ~8 ms (a model is GUI-thread only), then serialized and written on a
// worker (QtConcurrent, QSaveFile: a failed write leaves an existing file as it was). Rows
// inserted or removed above the read position while it runs shift that position, so each row
// is read once; a reset, a re-sort or a move starts over (after three, the rest is read at once).

#include <QByteArray>
#include <QObject>
#include <QPersistentModelIndex>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <vector>

class QAbstractItemModel;
class QItemSelectionModel;

namespace regscope {

enum class ExportFormat : quint8 { Csv, Json };

// The column names of the model: its header text, "column<n>" where a header is empty.
QStringList exportHeaders(const QAbstractItemModel* model);
QString csvField(const QString& text);
QByteArray rowsToCsv(const QStringList& headers, const std::vector<QStringList>& rows);
QByteArray rowsToJson(const QStringList& headers, const std::vector<QStringList>& rows);

class TableExport : public QObject {
    Q_OBJECT
public:
    struct Result {
        bool ok = false;
        qsizetype rows = 0;
        qsizetype bytes = 0;
        QString error;             // why it failed, in words for the user
        QString file;              // empty: the text went to `text`
        QString text;              // the serialized rows when exporting to the clipboard
        qint64 longestSliceMs = 0; // the longest the GUI thread spent reading in one turn
    };

    // selection null: all rows (depth first through a tree). file empty: the serialized text
    // comes back in Result::text (the caller puts it on the clipboard). Deletes itself after
    // finished().
    static TableExport* start(const QAbstractItemModel* model, QItemSelectionModel* selection,
                              ExportFormat format, const QString& file, QObject* parent = nullptr);

    static constexpr int kSliceMs = 8;
    static constexpr int kMaxRestarts = 3;

Q_SIGNALS:
    void progress(qsizetype rowsRead);
    void finished(const regscope::TableExport::Result& result);

private:
    TableExport(const QAbstractItemModel* model, QItemSelectionModel* selection,
                ExportFormat format, QString file, QObject* parent);
    struct Level {
        QPersistentModelIndex parent;
        bool root = true;
        int next = 0;  // the next row to read under parent
        int last = -1; // selection segments: the last row (inclusive); -1: all
    };
    void restart();
    void readSlice();
    bool readOne(); // false when done
    void readRow(const QModelIndex& index);
    void serialize();
    void fail(const QString& error);
    void watchModel();
    void shift(const QModelIndex& parent, int first, int last, int sign);

    QPointer<const QAbstractItemModel> m_model;
    QPointer<QItemSelectionModel> m_selection;
    ExportFormat m_format;
    QString m_file;
    QStringList m_headers;
    std::vector<QStringList> m_rows;
    std::vector<Level> m_stack; // all rows: the walk; selection: pending segments, reversed
    bool m_selectionMode = false;
    bool m_restartWanted = false;
    int m_restarts = 0;
    int m_columns = 0;
    qint64 m_longestSliceMs = 0;
};

} // namespace regscope

Q_DECLARE_METATYPE(regscope::TableExport::Result)
