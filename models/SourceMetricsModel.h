#pragma once
// One source's lookup figures as one table row, from its two latest metric samples: lookups/s
// by outcome, the miss ratio, p50/p99 latency, the entry count and when the last sample came.
// What the Metrics panel shows per source when the window shows all sources (each source's
// row behind a Source column, SourceUnionModel): the charts' latest values, side by side.

#include "models/LookupRates.h"

#include <QAbstractTableModel>

#include <optional>

namespace regscope {

class Store;

class SourceMetricsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        LookupsColumn,
        HitsColumn,
        MissesColumn,
        ErrorsColumn,
        MissRatioColumn,
        P50Column,
        P99Column,
        EntriesColumn,
        SampledColumn,
        ColumnCount
    };

    explicit SourceMetricsModel(Store* store, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    void sampled(const MetricsSample& sample);

    std::optional<MetricsSample> m_previous;
    std::optional<LookupRates> m_rates; // none until the first sample
    bool m_lookups = false;             // the source counts lookups (it holds registries)
};

} // namespace regscope
