#pragma once
// The records of one kind from every source of the session, as one flat table with a Source
// column first: what a panel shows when it shows all sources. The sources are the rows of the
// SourcesModel (the panels' source, then each watched one), each read from its own Store; no
// record is copied. Rows are found by a scan of each Store in slices of a few milliseconds
// between event-loop turns (no source switch or keystroke holds the GUI thread), at most
// maxRows are listed (more are counted), and each Store's flushes are applied in batches: one
// insert per flush and source, a removal per run of rows, never a reset per event.
//
// Inactive (the panels show one source), it lists nothing and follows nothing.

#include "models/SourceEvent.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QPointer>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <vector>

namespace regscope {

class SourcesModel;
class Store;

class AllSourcesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int SourceColumn = 0;
    enum Role {
        RecordIdRole = Qt::UserRole + 1,
        SourceUrlRole,
        SortRole, // numbers as numbers, for a sort proxy
    };
    struct Options {
        qsizetype maxRows = 50'000;
        int sliceMs = 8;                // the longest one slice of a scan runs
        qsizetype slotsPerCheck = 2048; // records scanned between two looks at the clock
    };

    AllSourcesModel(RecordKind kind, SourcesModel* sources, QObject* parent = nullptr);
    AllSourcesModel(RecordKind kind, SourcesModel* sources, Options options,
                    QObject* parent = nullptr);
    ~AllSourcesModel() override;

    RecordKind kind() const { return m_kind; }
    void setActive(bool active);
    bool isActive() const { return m_active; }
    // Every whitespace-separated term must appear (case-insensitive) in one of the row's
    // cells, its source included. Empty: every record.
    void setFilterText(const QString& text);
    QString filterText() const { return m_terms.join(u' '); }

    bool scanning() const { return m_scanSource >= 0; }
    qsizetype matchCount() const { return m_matchCount; } // all rows found so far
    bool truncated() const { return m_matchCount > qsizetype(m_rows.size()); }
    int sourceCount() const { return int(m_sources.size()); }
    // The longest slice of the last scan (what a switch or a keystroke costs), in ms.
    double longestSliceMs() const { return m_longestSliceMs; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // The cells of a record of this kind, after the Source column (AllSourcesColumns.cpp).
    static QStringList headers(RecordKind kind);
    static QVariant cell(RecordKind kind, const Record& record, const Store& store, int column,
                         int role);

Q_SIGNALS:
    // The scan advanced or finished, or the rows changed: for the view's status line.
    void progressChanged();

private:
    struct Source {
        QPointer<const Store> store;
        QString url;
        QHash<QString, int> rowOf; // record id → row
        QSet<QString> handled;     // changes applied during the scan: the scan skips them
        QList<QMetaObject::Connection> connections;
    };
    struct Row {
        int source;
        QString id;
    };
    void rebuild();
    void restartScan();
    void scanSlice();
    bool matches(const Record& record, const Source& source) const;
    void onRecordsChanged(int source, RecordKind kind, const QStringList& upserted,
                          const QStringList& removed);
    void onProbesChanged(int source, const QStringList& ids);
    void appendRows(int source, const QStringList& ids);
    void removeRows(std::vector<int> rows);
    void emitChanged(std::vector<int> rows);
    void reindex();
    const Record* recordAt(int row) const;

    RecordKind m_kind;
    QPointer<SourcesModel> m_sourcesModel;
    Options m_options;
    bool m_active = false;
    QStringList m_terms;
    std::vector<Source> m_sources;
    std::vector<Row> m_rows;
    qsizetype m_matchCount = 0;
    int m_scanSource = -1; // the source being scanned; -1: none
    qsizetype m_scanFrom = 0;
    double m_longestSliceMs = 0;
    QTimer m_slice;
    QTimer m_rebuild; // the sources changed: rebuilt on the next turn, once
};

} // namespace regscope
