#pragma once
// The Entries filter for big registries: the matching entries as a flat table, found by a scan
// of the Store that runs in slices of a few milliseconds between event-loop turns, so no
// keystroke holds the GUI thread (the tree's recursive proxy walks every row at once: 3 s at a
// million entries). A new filter cancels the scan in progress. At most maxRows matches are
// listed (a filter that matches more says so and keeps counting); changes that arrive meanwhile
// are applied to the list in batches, like every model here.

#include "models/SourceEvent.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QHash>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <vector>

namespace regscope {

class Store;

class EntryMatchesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        VersionColumn,
        TenantColumn,
        TypeColumn,
        StateColumn,
        OriginColumn,
        ColumnCount
    };
    static constexpr int RecordIdRole = Qt::UserRole + 1;

    struct Options {
        qsizetype maxRows = 50'000;
        int sliceMs = 8;                // the longest one slice of the scan runs
        qsizetype slotsPerCheck = 2048; // records scanned between two looks at the clock
    };

    explicit EntryMatchesModel(Store* store, QObject* parent = nullptr);
    EntryMatchesModel(Store* store, Options options, QObject* parent = nullptr);

    // Every whitespace-separated term must appear (case-insensitive) in the entry's name,
    // version, tenant, registry, type or origin. Empty: no rows.
    void setFilterText(const QString& text);
    QString filterText() const { return m_terms.join(u' '); }
    static bool matches(const EntryRecord& e, const QStringList& terms);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    const EntryRecord* recordAt(int row) const;
    bool scanning() const { return m_scanFrom >= 0; }
    qsizetype matchCount() const { return m_matchCount; } // all matches found so far
    bool truncated() const { return m_matchCount > qsizetype(m_ids.size()); }
    double scannedFraction() const;
    // The longest slice of the last scan (what a keystroke costs the event loop), in ms.
    double longestSliceMs() const { return m_longestSliceMs; }

Q_SIGNALS:
    // The scan advanced or finished, or the matches changed: for the panel's status line.
    void progressChanged();

private:
    void scanSlice();
    void onRecordsChanged(RecordKind kind, const QStringList& upserted, const QStringList& removed);
    void appendRows(const QStringList& ids);
    void removeRows(std::vector<int> rows);

    Store* m_store;
    Options m_options;
    QStringList m_terms;
    std::vector<QString> m_ids; // the listed matches, in scan order
    QHash<QString, int> m_rowOf;
    QSet<QString> m_handled; // changes counted during the scan in progress
    qsizetype m_matchCount = 0;
    qsizetype m_scanFrom = -1; // the next slot to scan; -1: no scan running
    qsizetype m_scanLength = 0;
    double m_longestSliceMs = 0;
    QTimer m_slice;
};

} // namespace regscope
