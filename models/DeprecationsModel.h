#pragma once
// Deprecated names (aliases and entries marked deprecated): lookups through them, when they
// were first and last seen, lookups in each of the last N intervals, and a "safe to remove"
// mark once they have been quiet for a configurable number of intervals. An interval is one
// metrics sample of the source (1 s for the in-process registry).

#include "models/SourceEvent.h"

#include <QAbstractTableModel>
#include <QHash>

#include <deque>
#include <vector>

namespace regscope {

class Store;

class DeprecationsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        StateColumn,
        LookupsColumn,
        FirstSeenColumn,
        LastSeenColumn,
        RecentColumn,
        QuietColumn,
        SafeColumn,
        ColumnCount
    };
    static constexpr int SortRole = Qt::UserRole + 1;
    static constexpr int SafeToRemoveRole = Qt::UserRole + 2;

    struct Options {
        int window = 10;         // N: intervals summed in "last N"
        int quietThreshold = 60; // intervals without a lookup before "safe to remove"
        qsizetype maxRows = 2000;
    };

    explicit DeprecationsModel(Store* store, QObject* parent = nullptr);
    DeprecationsModel(Store* store, Options options, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setQuietThreshold(int intervals);
    void setWindow(int intervals);
    const Options& options() const { return m_options; }
    int rowOf(const QString& name) const { return m_index.value(name, -1); }
    bool safeToRemove(const QString& name) const;

    void addSample(const MetricsSample& sample);

private:
    struct Row {
        QString name;
        QString state; // "alias → target", "deprecated", "not registered"
        QString note;  // deprecation message / remove after
        double lookups = 0;
        bool counted = false; // lookups holds a reading of the counter
        qint64 firstSeenMs = 0;
        qint64 lastSeenMs = 0;
        std::deque<double> recent; // per-interval lookups, newest last, <= window
        int quiet = 0;
        double recentSum() const;
    };
    void onRecordsChanged(RecordKind kind, const QStringList& upserted, const QStringList& removed);
    int ensureRow(const QString& name, std::vector<Row>* added);
    void refreshStates();

    Store* m_store;
    Options m_options;
    std::vector<Row> m_rows;
    QHash<QString, int> m_index;
};

} // namespace regscope
