#include "models/DeprecationsModel.h"

#include "models/ItemRoles.h"
#include "models/LookupRates.h"
#include "models/MetricNames.h"
#include "models/ModelRuns.h"
#include "models/Store.h"

#include <QDateTime>
#include <QThread>

#include <numeric>

using namespace Qt::StringLiterals;

namespace regscope {

double DeprecationsModel::Row::recentSum() const {
    return std::accumulate(recent.begin(), recent.end(), 0.0);
}

DeprecationsModel::DeprecationsModel(Store* store, QObject* parent)
    : DeprecationsModel(store, Options{}, parent) {}

DeprecationsModel::DeprecationsModel(Store* store, Options options, QObject* parent)
    : QAbstractTableModel(parent)
    , m_store(store)
    , m_options(options) {
    connect(store, &Store::recordsChanged, this, &DeprecationsModel::onRecordsChanged);
    QStringList existing;
    store->forEach(RecordKind::Entry, [&](const Record& r) { existing << recordId(r); });
    onRecordsChanged(RecordKind::Entry, existing, {});
    for (const MetricsSample& s : store->metricsHistory())
        addSample(s);
    connect(store, &Store::metricsSampled, this, &DeprecationsModel::addSample);
    // Another source: its deprecations come with its entries and samples.
    connect(store, &Store::cleared, this, [this] {
        beginResetModel();
        m_rows.clear();
        m_index.clear();
        endResetModel();
    });
}

int DeprecationsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int DeprecationsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DeprecationsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return u"Deprecated name"_s;
    case StateColumn:
        return u"State"_s;
    case LookupsColumn:
        return u"Lookups"_s;
    case FirstSeenColumn:
        return u"First seen"_s;
    case LastSeenColumn:
        return u"Last seen"_s;
    case RecentColumn:
        return u"Last %1 intervals"_s.arg(m_options.window);
    case QuietColumn:
        return u"Quiet for"_s;
    case SafeColumn:
        return u"Safe to remove"_s;
    }
    return {};
}

QVariant DeprecationsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row& r = m_rows[size_t(index.row())];
    const bool safe = r.quiet >= m_options.quietThreshold;
    auto time = [](qint64 ms) {
        return ms ? QDateTime::fromMSecsSinceEpoch(ms).toString(u"HH:mm:ss"_s) : u"never"_s;
    };
    switch (role) {
    case SafeToRemoveRole:
        return safe;
    case SortRole:
        switch (index.column()) {
        case LookupsColumn:
            return r.lookups;
        case FirstSeenColumn:
            return r.firstSeenMs;
        case LastSeenColumn:
            return r.lastSeenMs;
        case RecentColumn:
            return r.recentSum();
        case QuietColumn:
            return r.quiet;
        case SafeColumn:
            return safe;
        }
        return data(index, Qt::DisplayRole);
    case Qt::ToolTipRole:
        return r.note.isEmpty() ? QVariant() : QVariant(r.note);
    case StateRole:
        if (index.column() == SafeColumn)
            return int(safe ? ItemState::Healthy : ItemState::Deprecated);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == LookupsColumn || index.column() == RecentColumn ||
            index.column() == QuietColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return r.name;
        case StateColumn:
            return r.state;
        case LookupsColumn:
            return QString::number(r.lookups, 'f', 0);
        case FirstSeenColumn:
            return time(r.firstSeenMs);
        case LastSeenColumn:
            return time(r.lastSeenMs);
        case RecentColumn:
            return QString::number(r.recentSum(), 'f', 0);
        case QuietColumn:
            return u"%1 intervals"_s.arg(r.quiet);
        case SafeColumn:
            // A name nobody looked up since we attached is "never used", not "in use".
            if (r.lastSeenMs == 0)
                return safe ? u"✔ safe to remove — never used"_s
                            : u"never used so far (%1 more quiet intervals to be sure)"_s.arg(
                                  m_options.quietThreshold - r.quiet);
            return safe ? u"✔ safe to remove — quiet for %1 intervals"_s.arg(r.quiet)
                        : u"in use (last lookup %1)"_s.arg(time(r.lastSeenMs));
        }
        return {};
    }
    return {};
}

bool DeprecationsModel::safeToRemove(const QString& name) const {
    const int row = rowOf(name);
    return row >= 0 && m_rows[size_t(row)].quiet >= m_options.quietThreshold;
}

void DeprecationsModel::setQuietThreshold(int intervals) {
    m_options.quietThreshold = intervals;
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

void DeprecationsModel::setWindow(int intervals) {
    m_options.window = std::max(1, intervals);
    for (Row& r : m_rows) {
        while (int(r.recent.size()) > m_options.window)
            r.recent.pop_front();
    }
    Q_EMIT headerDataChanged(Qt::Horizontal, RecentColumn, RecentColumn);
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

int DeprecationsModel::ensureRow(const QString& name, std::vector<Row>* added) {
    if (const int row = m_index.value(name, -1); row >= 0)
        return row;
    if (qsizetype(m_rows.size() + added->size()) >= m_options.maxRows)
        return -1;
    Row r;
    r.name = name;
    r.state = u"not registered"_s;
    added->push_back(std::move(r));
    m_index.insert(name, int(m_rows.size() + added->size() - 1));
    return int(m_rows.size() + added->size() - 1);
}

void DeprecationsModel::refreshStates() {
    QHash<QString, std::pair<QString, QString>> states; // name -> (state, note)
    m_store->forEach(RecordKind::Entry, [&](const Record& rec) {
        const auto& e = std::get<EntryRecord>(rec);
        if (!e.aliasOf.isEmpty())
            states.insert(e.name, {u"alias → "_s % e.aliasOf,
                                   e.deprecationMessage %
                                       (e.removeAfter.isEmpty()
                                            ? QString()
                                            : u" (remove after "_s % e.removeAfter % u')')});
        else if (e.deprecated && !states.contains(e.name))
            states.insert(e.name, {u"deprecated "_s % e.version, e.deprecationMessage});
    });
    std::vector<int> changed;
    for (size_t i = 0; i < m_rows.size(); ++i) {
        Row& r = m_rows[i];
        const auto s = states.value(r.name, {u"not registered"_s, QString()});
        if (s.first != r.state || s.second != r.note) {
            r.state = s.first;
            r.note = s.second;
            changed.push_back(int(i));
        }
    }
    emitDataChangedRuns(this, {}, std::move(changed));
}

void DeprecationsModel::onRecordsChanged(RecordKind kind, const QStringList& upserted,
                                         const QStringList& removed) {
    Q_ASSERT(QThread::currentThread() == thread());
    if (kind != RecordKind::Entry)
        return;
    std::vector<Row> added;
    bool relevant = false;
    for (const QString& id : upserted) {
        const Record* r = m_store->find(RecordKind::Entry, id);
        const auto* e = r ? std::get_if<EntryRecord>(r) : nullptr;
        if (!e)
            continue;
        if (e->deprecated || !e->aliasOf.isEmpty()) {
            ensureRow(e->name, &added);
            relevant = true;
        } else if (m_index.contains(e->name)) {
            relevant = true; // a deprecated name came back undeprecated
        }
    }
    for (const QString& id : removed) {
        // "tenant/name" (alias) or "tenant/name@version": test both readings.
        const QString rest = id.section(u'/', 1);
        if (m_index.contains(rest) || m_index.contains(rest.section(u'@', 0, -2)))
            relevant = true;
    }
    if (!added.empty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        for (Row& r : added)
            m_rows.push_back(std::move(r));
        endInsertRows();
    }
    if (relevant)
        refreshStates();
}

void DeprecationsModel::addSample(const MetricsSample& sample) {
    Q_ASSERT(QThread::currentThread() == thread());
    QHash<QString, double> counts;
    metric::forEachLabelled(sample, metric::kDeprecatedLookups, metric::kName,
                            [&](const QString& n, double v) { counts.insert(n, v); });
    std::vector<Row> added;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        ensureRow(it.key(), &added);
    if (!added.empty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        for (Row& r : added)
            m_rows.push_back(std::move(r));
        endInsertRows();
        refreshStates();
    }
    // Every row moves on by one interval: one dataChanged for the lot.
    for (Row& r : m_rows) {
        const auto it = counts.constFind(r.name);
        double delta = 0;
        if (it != counts.cend()) {
            delta = r.counted ? counterDelta(r.lookups, it.value()) : it.value();
            r.lookups = it.value();
            r.counted = true;
        }
        r.recent.push_back(delta);
        while (int(r.recent.size()) > m_options.window)
            r.recent.pop_front();
        if (delta > 0) {
            if (!r.firstSeenMs)
                r.firstSeenMs = sample.timestampMs;
            r.lastSeenMs = sample.timestampMs;
            r.quiet = 0;
        } else {
            ++r.quiet;
        }
    }
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

} // namespace regscope
