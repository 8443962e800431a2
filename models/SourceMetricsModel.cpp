#include "models/SourceMetricsModel.h"

#include "models/ItemRoles.h"
#include "models/MetricNames.h"
#include "models/Store.h"

#include <QDateTime>

using namespace Qt::StringLiterals;

namespace regscope {

SourceMetricsModel::SourceMetricsModel(Store* store, QObject* parent)
    : QAbstractTableModel(parent) {
    // The history's last two samples give the rates at once; then each new sample. Only the
    // newest few seconds are rebuilt, not a week of history, on a switch to all sources.
    const MetricsSample* latest = store->metrics().latest();
    const std::vector<MetricsSample> history =
        latest ? store->metrics().samples(latest->timestampMs - 10'000)
               : std::vector<MetricsSample>{};
    if (history.size() >= 2)
        m_previous = history[history.size() - 2];
    if (!history.empty())
        sampled(history.back());
    connect(store, &Store::metricsSampled, this, &SourceMetricsModel::sampled);
    connect(store, &Store::cleared, this, [this] {
        beginResetModel(); // another source: its figures start over (one row, once)
        m_previous.reset();
        m_rates.reset();
        m_lookups = false;
        endResetModel();
    });
}

void SourceMetricsModel::sampled(const MetricsSample& sample) {
    const bool first = !m_rates;
    if (first)
        beginInsertRows({}, 0, 0);
    m_rates = deriveRates(m_previous ? &*m_previous : nullptr, sample);
    m_lookups = metric::has(sample, metric::kLookupTotal);
    m_previous = sample;
    if (first)
        endInsertRows();
    else
        Q_EMIT dataChanged(index(0, 0), index(0, ColumnCount - 1));
}

int SourceMetricsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || !m_rates ? 0 : 1;
}

int SourceMetricsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SourceMetricsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !m_rates)
        return {};
    const LookupRates& r = *m_rates;
    if (role == StateRole) {
        if (index.column() == MissesColumn && r.missesPerSecond > 0)
            return int(ItemState::Warning);
        if (index.column() == ErrorsColumn && r.errorsPerSecond > 0)
            return int(ItemState::Down);
        return {};
    }
    if (role == Qt::TextAlignmentRole)
        return index.column() == SampledColumn ? QVariant()
                                               : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    if (!m_lookups && index.column() != SampledColumn)
        return u"—"_s; // a source without registries (discovery, etcd): no lookups to count
    const auto rate = [](double v) { return QString::number(v, 'f', 1); };
    const auto micros = [&r](double ms) {
        return r.hasLatency ? QString::number(ms * 1000.0, 'f', 1) : u"—"_s;
    };
    switch (index.column()) {
    case LookupsColumn:
        return rate(r.hitsPerSecond + r.missesPerSecond + r.errorsPerSecond);
    case HitsColumn:
        return rate(r.hitsPerSecond);
    case MissesColumn:
        return rate(r.missesPerSecond);
    case ErrorsColumn:
        return rate(r.errorsPerSecond);
    case MissRatioColumn:
        return u"%1 %"_s.arg(r.missRatio() * 100.0, 0, 'f', 1);
    case P50Column:
        return micros(r.p50Ms);
    case P99Column:
        return micros(r.p99Ms);
    case EntriesColumn:
        return QString::number(qint64(r.entries));
    case SampledColumn:
        return QDateTime::fromMSecsSinceEpoch(r.timestampMs).toString(u"hh:mm:ss"_s);
    }
    return {};
}

QVariant SourceMetricsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const names[] = {"Lookups/s", "Hits/s",     "Misses/s",
                                        "Errors/s",  "Miss ratio", "p50 µs",
                                        "p99 µs",    "Entries",    "Last sample"};
    return section >= 0 && section < ColumnCount ? QString::fromUtf8(names[section]) : QVariant();
}

} // namespace regscope
