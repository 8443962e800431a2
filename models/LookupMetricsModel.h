#pragma once
// Lookup metrics per name: hits and misses since the source started, and per second over the
// last interval. One row per name seen in the samples (bounded), appended in one run per
// sample; the changed rows signalled in runs.

#include "models/SourceEvent.h"

#include <QAbstractTableModel>
#include <QHash>

#include <vector>

namespace regscope {

class Store;

class LookupMetricsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        HitsColumn,
        MissesColumn,
        HitRateColumn,
        MissRateColumn,
        LastSeenColumn,
        ColumnCount
    };
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit LookupMetricsModel(Store* store, qsizetype maxRows = 5000, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void addSample(const MetricsSample& sample);
    int rowOf(const QString& name) const { return m_index.value(name, -1); }

private:
    struct Row {
        QString name;
        double hits = 0;
        double misses = 0;
        double hitRate = 0;
        double missRate = 0;
        qint64 lastSeenMs = 0;
    };

    std::vector<Row> m_rows;
    QHash<QString, int> m_index;
    qsizetype m_maxRows;
    qint64 m_lastSampleMs = 0;
};

} // namespace regscope
