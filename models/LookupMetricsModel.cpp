#include "models/LookupMetricsModel.h"

#include "models/LookupRates.h"
#include "models/MetricNames.h"
#include "models/ModelRuns.h"
#include "models/Store.h"

#include <QDateTime>
#include <QThread>

using namespace Qt::StringLiterals;

namespace regscope {

LookupMetricsModel::LookupMetricsModel(Store* store, qsizetype maxRows, QObject* parent)
    : QAbstractTableModel(parent)
    , m_maxRows(maxRows) {
    for (const MetricsSample& s : store->metricsHistory())
        addSample(s);
    connect(store, &Store::metricsSampled, this, &LookupMetricsModel::addSample);
    // Another source: the last one's names must not read as this one's.
    connect(store, &Store::cleared, this, [this] {
        beginResetModel();
        m_rows.clear();
        m_index.clear();
        m_lastSampleMs = 0;
        endResetModel();
    });
}

int LookupMetricsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LookupMetricsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LookupMetricsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const QStringList titles{u"Name"_s,   u"Hits"_s,     u"Misses"_s,
                                    u"Hits/s"_s, u"Misses/s"_s, u"Last looked up"_s};
    return titles.value(section);
}

QVariant LookupMetricsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row& r = m_rows[size_t(index.row())];
    if (role == SortRole) {
        switch (index.column()) {
        case NameColumn:
            return r.name;
        case HitsColumn:
            return r.hits;
        case MissesColumn:
            return r.misses;
        case HitRateColumn:
            return r.hitRate;
        case MissRateColumn:
            return r.missRate;
        case LastSeenColumn:
            return r.lastSeenMs;
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole && index.column() != NameColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case NameColumn:
        return r.name;
    case HitsColumn:
        return QString::number(r.hits, 'f', 0);
    case MissesColumn:
        return QString::number(r.misses, 'f', 0);
    case HitRateColumn:
        return QString::number(r.hitRate, 'f', 1);
    case MissRateColumn:
        return QString::number(r.missRate, 'f', 1);
    case LastSeenColumn:
        return r.lastSeenMs ? QDateTime::fromMSecsSinceEpoch(r.lastSeenMs).toString(u"HH:mm:ss"_s)
                            : QString();
    }
    return {};
}

void LookupMetricsModel::addSample(const MetricsSample& sample) {
    Q_ASSERT(QThread::currentThread() == thread());
    const double seconds =
        m_lastSampleMs ? std::max<qint64>(sample.timestampMs - m_lastSampleMs, 1) / 1000.0 : 0;
    m_lastSampleMs = sample.timestampMs;
    QHash<QString, std::pair<double, double>> seen; // name -> (hits, misses)
    metric::forEachLabelled(sample, metric::kHitsByName, metric::kName,
                            [&](const QString& n, double v) { seen[n].first = v; });
    metric::forEachLabelled(sample, metric::kMissesByName, metric::kName,
                            [&](const QString& n, double v) { seen[n].second = v; });

    std::vector<Row> added;
    for (auto it = seen.cbegin(); it != seen.cend(); ++it) {
        if (m_index.contains(it.key()))
            continue;
        if (qsizetype(m_rows.size() + added.size()) >= m_maxRows)
            break;
        Row row;
        row.name = it.key();
        row.hits = it.value().first;
        row.misses = it.value().second;
        row.lastSeenMs = sample.timestampMs;
        added.push_back(std::move(row));
    }
    std::vector<int> changed;
    for (size_t i = 0; i < m_rows.size(); ++i) {
        Row& r = m_rows[i];
        const auto it = seen.constFind(r.name);
        // A name that drops out of a top-K list keeps its last counts and goes quiet.
        const double hits = it != seen.cend() ? it.value().first : r.hits;
        const double misses = it != seen.cend() ? it.value().second : r.misses;
        const double dh = counterDelta(r.hits, hits);
        const double dm = counterDelta(r.misses, misses);
        const double hitRate = seconds > 0 ? dh / seconds : 0;
        const double missRate = seconds > 0 ? dm / seconds : 0;
        if (hits == r.hits && misses == r.misses && hitRate == r.hitRate && missRate == r.missRate)
            continue;
        r.hits = hits;
        r.misses = misses;
        r.hitRate = hitRate;
        r.missRate = missRate;
        if (dh > 0 || dm > 0)
            r.lastSeenMs = sample.timestampMs;
        changed.push_back(int(i));
    }
    emitDataChangedRuns(this, {}, std::move(changed));
    if (!added.empty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        for (Row& r : added) {
            m_index.insert(r.name, int(m_rows.size()));
            m_rows.push_back(std::move(r));
        }
        endInsertRows();
    }
}

} // namespace regscope
