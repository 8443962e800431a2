#include "models/instances/InstanceModel.h"

#include "models/Store.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QThread>

#include <algorithm>
#include <map>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QString formatAge(qint64 ms) {
    if (ms < 0)
        ms = 0;
    const qint64 s = ms / 1000;
    if (s < 60)
        return ms < 10'000 ? u"%1 s"_s.arg(double(ms) / 1000.0, 0, 'f', 1) : u"%1 s"_s.arg(s);
    if (s < 3600)
        return u"%1 m %2 s"_s.arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return u"%1 h %2 m"_s.arg(s / 3600).arg((s / 60) % 60, 2, 10, QLatin1Char('0'));
}

QString formatTime(qint64 ms) {
    return QDateTime::fromMSecsSinceEpoch(ms).toString(u"yyyy-MM-dd hh:mm:ss"_s);
}

// Runs of consecutive values in a sorted list: [first, last] pairs.
std::vector<std::pair<int, int>> runs(std::vector<int> rows) {
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    std::vector<std::pair<int, int>> out;
    for (const int r : rows) {
        if (!out.empty() && out.back().second + 1 == r)
            out.back().second = r;
        else
            out.emplace_back(r, r);
    }
    return out;
}

const QColor kStaleBackground(0xfd, 0xe2, 0xe2);
const QColor kStaleText(0xb0, 0x1c, 0x1c);

} // namespace

void InstanceModel::App::renumber() {
    rowOf.clear();
    for (int i = 0; i < int(rows.size()); ++i)
        rowOf.insert(recordId(rows[size_t(i)]), i);
}

InstanceModel::InstanceModel(Store* store, QObject* parent)
    : QAbstractItemModel(parent)
    , m_store(store)
    , m_now([] { return QDateTime::currentMSecsSinceEpoch(); })
    , m_ticker(this) {
    connect(store, &Store::recordsChanged, this, &InstanceModel::onRecordsChanged);
    connect(store, &Store::metricsSampled, this, &InstanceModel::onMetrics);
    connect(&m_ticker, &QTimer::timeout, this, &InstanceModel::tick);
    m_ticker.start(1000);
    for (const auto& s : store->metricsHistory())
        onMetrics(s);
    QStringList existing;
    store->forEach(RecordKind::Instance,
                   [&existing](const Record& r) { existing.append(recordId(r)); });
    upsertIds(existing);
}

InstanceModel::~InstanceModel() = default;

void InstanceModel::setNowFunction(std::function<qint64()> nowMs) {
    m_now = std::move(nowMs);
    tick();
}

void InstanceModel::setTickInterval(int ms) {
    if (ms <= 0)
        m_ticker.stop();
    else
        m_ticker.start(ms);
}

void InstanceModel::setTiming(const Timing& timing) {
    m_timing = timing;
    tick();
}

qint64 InstanceModel::now() const {
    return m_now();
}

int InstanceModel::instanceCount() const {
    return int(m_appOfId.size());
}

int InstanceModel::staleCount() const {
    int n = 0;
    for (const auto& app : m_apps)
        for (const auto& r : app->rows)
            n += isStale(r) ? 1 : 0;
    return n;
}

namespace {
// Discovery instances carry their last renew; an instance from an etcd service layout has
// none (its lease keeps it: the etcd panel shows the TTL), so renew age, staleness and
// projected eviction do not apply to it.
bool renewTracked(const InstanceRecord& r) {
    return r.renewTimestampNs > 0;
}
} // namespace

bool InstanceModel::isStale(const InstanceRecord& r) const {
    return renewTracked(r) && now() - r.renewTimestampNs / 1'000'000 > 2 * m_timing.renewIntervalMs;
}

qint64 InstanceModel::projectedEvictionMs(const InstanceRecord& r) const {
    // Eligible once older than the threshold (the ceiling while self-protection holds); goes
    // at the first pass after that.
    const qint64 renewMs = r.renewTimestampNs / 1'000'000;
    const qint64 eligible =
        renewMs + (m_timing.selfProtection ? m_timing.evictCeilingMs : m_timing.evictThresholdMs);
    const qint64 next = m_timing.nextEvictionPassMs;
    const qint64 interval = std::max<qint64>(1, m_timing.evictIntervalMs);
    if (next <= 0)
        return eligible;
    if (eligible < next)
        return next;
    return next + ((eligible - next) / interval + 1) * interval;
}

void InstanceModel::onMetrics(const MetricsSample& sample) {
    Timing t = m_timing;
    bool seen = false;
    for (const auto& p : sample.points) {
        const auto ms = static_cast<qint64>(p.value * 1000.0);
        if (p.name == u"discovery_renew_interval_seconds")
            t.renewIntervalMs = ms;
        else if (p.name == u"discovery_evict_threshold_seconds")
            t.evictThresholdMs = ms;
        else if (p.name == u"discovery_evict_interval_seconds")
            t.evictIntervalMs = ms;
        else if (p.name == u"discovery_evict_ceiling_seconds")
            t.evictCeilingMs = ms;
        else if (p.name == u"discovery_next_eviction_pass_timestamp_seconds")
            t.nextEvictionPassMs = ms;
        else if (p.name == u"discovery_self_protection")
            t.selfProtection = p.value != 0;
        else
            continue;
        seen = true;
    }
    if (seen)
        setTiming(t);
}

void InstanceModel::onRecordsChanged(RecordKind kind, const QStringList& upserted,
                                     const QStringList& removed) {
    Q_ASSERT(QThread::currentThread() == thread());
    if (kind != RecordKind::Instance)
        return;
    removeIds(removed);
    upsertIds(upserted);
}

void InstanceModel::renumberApps() {
    for (int i = 0; i < int(m_apps.size()); ++i)
        m_apps[size_t(i)]->row = i;
}

QModelIndex InstanceModel::appIndex(const App& app, int column) const {
    return createIndex(app.row, column, nullptr);
}

void InstanceModel::removeIds(const QStringList& ids) {
    std::map<App*, std::vector<int>> rowsByApp;
    for (const auto& id : ids) {
        const auto appid = m_appOfId.take(id);
        if (appid.isEmpty())
            continue;
        App* app = m_appByName.value(appid);
        if (app && app->rowOf.contains(id))
            rowsByApp[app].push_back(app->rowOf.value(id));
    }
    std::vector<int> emptyApps;
    for (auto& [app, rows] : rowsByApp) {
        if (rows.size() == app->rows.size()) {
            emptyApps.push_back(app->row); // the app row goes, children with it
            continue;
        }
        auto rs = runs(rows);
        for (auto it = rs.rbegin(); it != rs.rend(); ++it) {
            beginRemoveRows(appIndex(*app), it->first, it->second);
            app->rows.erase(app->rows.begin() + it->first, app->rows.begin() + it->second + 1);
            endRemoveRows();
        }
        app->renumber();
        Q_EMIT dataChanged(appIndex(*app, 0), appIndex(*app, ColumnCount - 1));
    }
    const auto appRuns = runs(emptyApps);
    for (auto it = appRuns.rbegin(); it != appRuns.rend(); ++it) {
        beginRemoveRows({}, it->first, it->second);
        for (int r = it->first; r <= it->second; ++r)
            m_appByName.remove(m_apps[size_t(r)]->appid);
        m_apps.erase(m_apps.begin() + it->first, m_apps.begin() + it->second + 1);
        renumberApps();
        endRemoveRows();
    }
}

void InstanceModel::upsertIds(const QStringList& ids) {
    std::map<App*, std::vector<int>> changed;
    std::map<App*, std::vector<InstanceRecord>> added;
    QList<QString> newAppOrder;
    QHash<QString, std::vector<InstanceRecord>> newApps;
    for (const auto& id : ids) {
        const Record* rec = m_store->find(RecordKind::Instance, id);
        if (!rec)
            continue;
        const auto* r = std::get_if<InstanceRecord>(rec);
        if (!r)
            continue;
        App* app = m_appByName.value(r->appid);
        if (app && app->rowOf.contains(id)) {
            const int row = app->rowOf.value(id);
            if (!(app->rows[size_t(row)] == *r)) {
                app->rows[size_t(row)] = *r;
                changed[app].push_back(row);
            }
            continue;
        }
        if (m_appOfId.contains(id))
            continue; // duplicate id in one batch
        m_appOfId.insert(id, r->appid);
        if (app) {
            added[app].push_back(*r);
        } else {
            if (!newApps.contains(r->appid))
                newAppOrder.append(r->appid);
            newApps[r->appid].push_back(*r);
        }
    }
    for (auto& [app, rows] : changed) {
        for (const auto& [first, last] : runs(rows))
            Q_EMIT dataChanged(index(first, 0, appIndex(*app)),
                               index(last, ColumnCount - 1, appIndex(*app)));
        if (!added.contains(app))
            Q_EMIT dataChanged(appIndex(*app, 0), appIndex(*app, ColumnCount - 1));
    }
    for (auto& [app, rows] : added) {
        const int first = int(app->rows.size());
        beginInsertRows(appIndex(*app), first, first + int(rows.size()) - 1);
        for (auto& r : rows)
            app->rows.push_back(std::move(r));
        app->renumber();
        endInsertRows();
        Q_EMIT dataChanged(appIndex(*app, 0), appIndex(*app, ColumnCount - 1));
    }
    if (!newAppOrder.isEmpty()) {
        const int first = int(m_apps.size());
        beginInsertRows({}, first, first + int(newAppOrder.size()) - 1);
        for (const auto& appid : newAppOrder) {
            auto app = std::make_unique<App>();
            app->appid = appid;
            app->row = int(m_apps.size());
            app->rows = std::move(newApps[appid]);
            app->renumber();
            m_appByName.insert(appid, app.get());
            m_apps.push_back(std::move(app));
        }
        endInsertRows();
    }
}

void InstanceModel::tick() {
    const QList<int> roles{Qt::DisplayRole,        Qt::ForegroundRole, Qt::BackgroundRole,
                           Qt::ToolTipRole,        StaleRole,          RenewAgeMsRole,
                           ProjectedEvictionMsRole};
    for (const auto& app : m_apps) {
        if (!app->rows.empty())
            Q_EMIT dataChanged(index(0, 0, appIndex(*app)),
                               index(int(app->rows.size()) - 1, ColumnCount - 1, appIndex(*app)),
                               roles);
        Q_EMIT dataChanged(appIndex(*app, 0), appIndex(*app, ColumnCount - 1), roles);
    }
}

QModelIndex InstanceModel::index(int row, int column, const QModelIndex& parent) const {
    if (column < 0 || column >= ColumnCount || row < 0)
        return {};
    if (!parent.isValid())
        return row < int(m_apps.size()) ? createIndex(row, column, nullptr) : QModelIndex();
    if (parent.internalPointer() != nullptr || parent.row() >= int(m_apps.size()))
        return {};
    App* app = m_apps[size_t(parent.row())].get();
    return row < int(app->rows.size()) ? createIndex(row, column, app) : QModelIndex();
}

QModelIndex InstanceModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || child.internalPointer() == nullptr)
        return {};
    const auto* app = static_cast<const App*>(child.internalPointer());
    return createIndex(app->row, 0, nullptr);
}

int InstanceModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid())
        return int(m_apps.size());
    if (parent.internalPointer() != nullptr || parent.column() != 0 ||
        parent.row() >= int(m_apps.size()))
        return 0;
    return int(m_apps[size_t(parent.row())]->rows.size());
}

int InstanceModel::columnCount(const QModelIndex&) const {
    return ColumnCount;
}

QVariant InstanceModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const QStringList titles{
        u"App / hostname"_s, u"Zone"_s,       u"Env"_s,        u"Addrs"_s, u"Version"_s,
        u"Status"_s,         u"Registered"_s, u"Last renew"_s, u"Stale"_s, u"Eviction"_s};
    return titles.value(section);
}

QVariant InstanceModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid())
        return {};
    if (index.internalPointer() == nullptr) {
        if (index.row() >= int(m_apps.size()))
            return {};
        return appData(*m_apps[size_t(index.row())], index.column(), role);
    }
    const auto* app = static_cast<const App*>(index.internalPointer());
    if (index.row() >= int(app->rows.size()))
        return {};
    return instanceData(app->rows[size_t(index.row())], index.column(), role);
}

QVariant InstanceModel::appData(const App& app, int column, int role) const {
    int stale = 0;
    int up = 0;
    for (const auto& r : app.rows) {
        stale += isStale(r) ? 1 : 0;
        up += r.status == 1 ? 1 : 0;
    }
    switch (role) {
    case IsAppRole:
        return true;
    case AppIdRole:
        return app.appid;
    case StaleRole:
        return stale > 0;
    case Qt::ForegroundRole:
        return stale > 0 && column == StaleColumn ? QVariant(QBrush(kStaleText)) : QVariant();
    case Qt::DisplayRole:
        switch (column) {
        case NameColumn:
            return u"%1 (%2)"_s.arg(app.appid).arg(app.rows.size());
        case StatusColumn:
            return u"%1 up / %2 waiting"_s.arg(up).arg(int(app.rows.size()) - up);
        case StaleColumn:
            return stale > 0 ? u"%1 stale"_s.arg(stale) : QString();
        default:
            return {};
        }
    default:
        return {};
    }
}

QVariant InstanceModel::instanceData(const InstanceRecord& r, int column, int role) const {
    const bool tracked = renewTracked(r);
    const qint64 ageMs = tracked ? now() - r.renewTimestampNs / 1'000'000 : -1;
    const bool stale = isStale(r);
    switch (role) {
    case IsAppRole:
        return false;
    case AppIdRole:
        return r.appid;
    case ZoneRole:
        return r.zone;
    case StatusRole:
        return r.status;
    case StaleRole:
        return stale;
    case RecordIdRole:
        return recordId(r);
    case RenewAgeMsRole:
        return ageMs;
    case ProjectedEvictionMsRole:
        return tracked ? projectedEvictionMs(r) : qint64(0);
    case Qt::BackgroundRole:
        return stale ? QVariant(QBrush(kStaleBackground)) : QVariant();
    case Qt::ForegroundRole:
        if (stale && (column == StaleColumn || column == RenewAgeColumn))
            return QBrush(kStaleText);
        if (column == StatusColumn && r.status != 1)
            return QBrush(QColor(0xc0, 0x7a, 0x10));
        return {};
    case Qt::ToolTipRole:
        if (!tracked && (column == RenewAgeColumn || column == EvictionColumn))
            return u"Kept alive by an etcd lease, not by renews: the etcd panel shows its TTL"_s;
        if (column == EvictionColumn)
            return m_timing.selfProtection
                       ? u"Self-protection is on: only instances older than %1 go"_s.arg(
                             formatAge(m_timing.evictCeilingMs))
                       : u"Evicted by the first pass after %1 without a renew"_s.arg(
                             formatAge(m_timing.evictThresholdMs));
        if (column == StaleColumn)
            return u"Stale: no renew for more than 2 x the renew interval (%1)"_s.arg(
                formatAge(m_timing.renewIntervalMs));
        return {};
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    switch (column) {
    case NameColumn:
        return r.hostname;
    case ZoneColumn:
        return r.zone;
    case EnvColumn:
        return r.env;
    case AddrsColumn:
        return r.addrs.join(u", "_s);
    case VersionColumn:
        return r.version;
    case StatusColumn:
        return r.status == 1 ? u"UP"_s : r.status == 2 ? u"WAITING"_s : QString::number(r.status);
    case RegisteredColumn:
        return r.regTimestampNs > 0 ? formatTime(r.regTimestampNs / 1'000'000) : u"—"_s;
    case RenewAgeColumn:
        return tracked ? formatAge(ageMs) : u"lease"_s;
    case StaleColumn:
        return stale ? u"STALE"_s : QString();
    case EvictionColumn: {
        if (!tracked)
            return u"when its lease expires"_s;
        const qint64 at = projectedEvictionMs(r);
        const qint64 in = at - now();
        const QString when = QDateTime::fromMSecsSinceEpoch(at).toString(u"hh:mm:ss"_s);
        if (in <= 0)
            return m_timing.selfProtection ? u"held (self-protection)"_s
                                           : u"due now (%1)"_s.arg(when);
        return u"%1 (in %2)"_s.arg(when, formatAge(in));
    }
    default:
        return {};
    }
}

} // namespace regscope
