#include "models/instances/InstanceModel.h"

#include "models/ItemRoles.h"
#include "models/Store.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QThread>

#include <algorithm>
#include <map>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

// Past this many runs in one parent, removals are compacted by one layout change and taken
// in one removal: per-run signals cost the proxy and the view O(rows) each.
constexpr size_t kMaxRemovalRuns = 16;
// Past this many runs of changed rows, one dataChanged spans them all.
constexpr size_t kMaxChangedRuns = 64;

// Runs of consecutive values in a sorted list: [first, last] pairs.
std::vector<std::pair<int, int>> runs(std::vector<int>& rows) {
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

// Moves the rows listed (sorted, unique) to the end of vec, keeping both parts in order;
// returns the old row → new row map for persistent indexes.
template <class T>
std::vector<int> moveToEnd(std::vector<T>& vec, const std::vector<int>& rows) {
    std::vector<char> goes(vec.size(), 0);
    for (const int r : rows)
        goes[size_t(r)] = 1;
    std::vector<int> newRow(vec.size());
    std::vector<T> out;
    out.reserve(vec.size());
    for (size_t i = 0; i < vec.size(); ++i)
        if (!goes[i]) {
            newRow[i] = int(out.size());
            out.push_back(std::move(vec[i]));
        }
    for (size_t i = 0; i < vec.size(); ++i)
        if (goes[i]) {
            newRow[i] = int(out.size());
            out.push_back(std::move(vec[i]));
        }
    vec = std::move(out);
    return newRow;
}

} // namespace

void InstanceModel::App::renumber() {
    rowOf.clear();
    rowOf.reserve(qsizetype(rows.size()));
    for (int i = 0; i < int(rows.size()); ++i)
        rowOf.insert(recordId(rows[size_t(i)]), i);
}

InstanceModel::InstanceModel(Store* store, QObject* parent)
    : QAbstractItemModel(parent)
    , m_store(store)
    , m_now([] { return QDateTime::currentMSecsSinceEpoch(); })
    , m_ticker(this)
    , m_chunkTimer(this) {
    connect(store, &Store::recordsChanged, this, &InstanceModel::onRecordsChanged);
    connect(store, &Store::metricsSampled, this, &InstanceModel::onMetrics);
    connect(store, &Store::cleared, this, &InstanceModel::onStoreCleared);
    connect(store, &Store::probesChanged, this, &InstanceModel::onProbesChanged);
    connect(&m_ticker, &QTimer::timeout, this, &InstanceModel::tick);
    m_ticker.start(1000);
    m_chunkTimer.setSingleShot(true);
    connect(&m_chunkTimer, &QTimer::timeout, this, &InstanceModel::applyChunk);
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
    const bool verdictsMove = timing.refreshIntervalMs != m_timing.refreshIntervalMs;
    const bool evictionsMove = timing.selfProtection != m_timing.selfProtection ||
                               timing.evictThresholdMs != m_timing.evictThresholdMs ||
                               timing.evictCeilingMs != m_timing.evictCeilingMs ||
                               timing.evictIntervalMs != m_timing.evictIntervalMs;
    m_timing = timing;
    if (verdictsMove)
        tick();
    // The next-pass time moves every pass; views repaint what they show anyway. Only a
    // change of rule is worth telling every row about.
    if (evictionsMove)
        for (const auto& app : m_apps)
            if (!app->rows.empty())
                Q_EMIT dataChanged(index(0, EvictionColumn, appIndex(*app)),
                                   index(int(app->rows.size()) - 1, EvictionColumn, appIndex(*app)),
                                   {ProjectedEvictionMsRole, Qt::DisplayRole});
}

qint64 InstanceModel::now() const {
    return m_now();
}

int InstanceModel::instanceCount() const {
    return int(m_appOfId.size());
}

int InstanceModel::staleCount() const {
    return dataTooOld() ? 0 : m_staleRecords;
}

QStringList InstanceModel::zones() const {
    return m_zoneCounts.keys();
}

qint64 InstanceModel::dataAgeMs() const {
    return m_asOfMs > 0 ? std::max<qint64>(0, now() - m_asOfMs) : 0;
}

bool InstanceModel::dataTooOld() const {
    return m_asOfMs > 0 && dataAgeMs() > 3 * std::max<qint64>(1, m_timing.refreshIntervalMs);
}

void InstanceModel::touchAsOf(qint64 ms) {
    if (ms <= m_asOfMs)
        return;
    m_asOfMs = ms;
    tick();
    Q_EMIT freshnessChanged();
}

void InstanceModel::tick() {
    // Verdicts change with the data, not with the clock, except when the data grows too old
    // to judge: then (and when it is fresh again) every row is told, once.
    const bool tooOld = dataTooOld();
    if (tooOld == m_wasTooOld)
        return;
    m_wasTooOld = tooOld;
    const QList<int> roles{Qt::DisplayRole, StateRole, RowStateRole, StaleRole, VerdictRole};
    for (const auto& app : m_apps) {
        if (!app->rows.empty())
            Q_EMIT dataChanged(index(0, 0, appIndex(*app)),
                               index(int(app->rows.size()) - 1, ColumnCount - 1, appIndex(*app)),
                               roles);
    }
    if (!m_apps.empty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_apps.size()) - 1, ColumnCount - 1), roles);
    Q_EMIT freshnessChanged();
}

void InstanceModel::onMetrics(const MetricsSample& sample) {
    Timing t = m_timing;
    bool seen = false;
    qint64 asOf = 0;
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
        else if (p.name == u"regscope_instances_refresh_interval_seconds" && ms > 0)
            t.refreshIntervalMs = ms;
        else if (p.name == u"regscope_instances_as_of_seconds")
            asOf = ms;
        else
            continue;
        seen = true;
    }
    if (seen)
        setTiming(t);
    // A discovery connector says when it last confirmed the instances; any other source that
    // is still sampling is still talking (an etcd watch tells every change as it happens).
    touchAsOf(asOf > 0 ? asOf : sample.timestampMs);
}

void InstanceModel::onStoreCleared() {
    // A new source: nothing of the old one's timing or freshness holds.
    m_timing = Timing{};
    m_asOfMs = 0;
    m_wasTooOld = false;
    m_unreachable.clear();
    m_unreachableByApp.clear();
    Q_EMIT freshnessChanged();
}

void InstanceModel::onRecordsChanged(RecordKind kind, const QStringList& upserted,
                                     const QStringList& removed) {
    Q_ASSERT(QThread::currentThread() == thread());
    if (kind != RecordKind::Instance)
        return;
    if (!upserted.isEmpty())
        touchAsOf(now());
    // Small flushes are applied at once; a burst is applied a chunk per event-loop turn, so
    // the window keeps answering whatever its size. The store holds the truth meanwhile:
    // a chunk reads each record as it is when the chunk runs.
    if (m_pending.empty() && removed.size() + upserted.size() <= kChunkIds) {
        removeIds(removed);
        upsertIds(upserted);
        return;
    }
    if (!removed.isEmpty())
        m_pending.push_back({removed, true});
    if (!upserted.isEmpty())
        m_pending.push_back({upserted, false});
    if (!m_chunkTimer.isActive())
        m_chunkTimer.start(0);
}

void InstanceModel::applyChunk() {
    // Slices of a few hundred ids until this turn's budget is spent: what a slice costs
    // depends on how many apps it touches, not only on how many ids it holds.
    constexpr qsizetype kSlice = 500;
    constexpr qint64 kBudgetMs = 15;
    QElapsedTimer spent;
    spent.start();
    while (!m_pending.empty() && spent.elapsed() < kBudgetMs) {
        Pending& front = m_pending.front();
        const QStringList slice = front.ids.mid(front.done, kSlice);
        front.done += slice.size();
        const bool removal = front.removal;
        if (front.done >= front.ids.size())
            m_pending.pop_front();
        if (removal)
            removeIds(slice);
        else
            upsertIds(slice);
    }
    if (!m_pending.empty())
        m_chunkTimer.start(0);
}

void InstanceModel::renumberApps() {
    for (int i = 0; i < int(m_apps.size()); ++i)
        m_apps[size_t(i)]->row = i;
}

QModelIndex InstanceModel::appIndex(const App& app, int column) const {
    return createIndex(app.row, column, nullptr);
}

void InstanceModel::count(const InstanceRecord& r, App& app, int sign) {
    app.up += r.status == 1 ? sign : 0;
    const int stale = r.staleness == Staleness::Stale ? sign : 0;
    app.stale += stale;
    m_staleRecords += stale;
    auto& zone = m_zoneCounts[r.zone];
    zone += sign;
    if (zone <= 0)
        m_zoneCounts.remove(r.zone);
}

void InstanceModel::removeChildRows(App& app, std::vector<int> rows) {
    const QModelIndex parent = appIndex(app);
    const auto rs = runs(rows);
    if (rs.size() <= kMaxRemovalRuns) {
        for (auto it = rs.rbegin(); it != rs.rend(); ++it) {
            beginRemoveRows(parent, it->first, it->second);
            app.rows.erase(app.rows.begin() + it->first, app.rows.begin() + it->second + 1);
            endRemoveRows();
        }
        app.renumber();
        return;
    }
    // Scattered: gather the leaving rows at the end (one layout change), drop the tail.
    Q_EMIT layoutAboutToBeChanged({QPersistentModelIndex(parent)});
    const std::vector<int> newRow = moveToEnd(app.rows, rows);
    const QModelIndexList before = persistentIndexList();
    QModelIndexList from;
    QModelIndexList to;
    for (const QModelIndex& i : before) {
        if (i.internalPointer() != &app)
            continue;
        from.append(i);
        to.append(createIndex(newRow[size_t(i.row())], i.column(), &app));
    }
    changePersistentIndexList(from, to);
    Q_EMIT layoutChanged({QPersistentModelIndex(parent)});
    const int keep = int(app.rows.size() - rows.size());
    beginRemoveRows(parent, keep, int(app.rows.size()) - 1);
    app.rows.resize(size_t(keep));
    endRemoveRows();
    app.renumber();
}

void InstanceModel::removeAppRows(std::vector<int> rows) {
    const auto rs = runs(rows);
    const auto forget = [this](int first, int last) {
        for (int r = first; r <= last; ++r)
            m_appByName.remove(m_apps[size_t(r)]->appid);
    };
    if (rs.size() <= kMaxRemovalRuns) {
        for (auto it = rs.rbegin(); it != rs.rend(); ++it) {
            beginRemoveRows({}, it->first, it->second);
            forget(it->first, it->second);
            m_apps.erase(m_apps.begin() + it->first, m_apps.begin() + it->second + 1);
            renumberApps();
            endRemoveRows();
        }
        return;
    }
    Q_EMIT layoutAboutToBeChanged();
    const std::vector<int> newRow = moveToEnd(m_apps, rows);
    renumberApps();
    QModelIndexList from;
    QModelIndexList to;
    for (const QModelIndex& i : persistentIndexList()) {
        if (i.internalPointer() != nullptr)
            continue; // child indexes name their app, which did not move in memory
        from.append(i);
        to.append(createIndex(newRow[size_t(i.row())], i.column(), nullptr));
    }
    changePersistentIndexList(from, to);
    Q_EMIT layoutChanged();
    const int keep = int(m_apps.size() - rows.size());
    beginRemoveRows({}, keep, int(m_apps.size()) - 1);
    forget(keep, int(m_apps.size()) - 1);
    m_apps.resize(size_t(keep));
    endRemoveRows();
}

void InstanceModel::removeIds(const QStringList& ids) {
    std::map<App*, std::vector<int>> rowsByApp;
    for (const auto& id : ids) {
        const auto appid = m_appOfId.take(id);
        if (appid.isEmpty())
            continue;
        forgetUnreachable(id);
        App* app = m_appByName.value(appid);
        if (!app)
            continue;
        const auto row = app->rowOf.constFind(id);
        if (row == app->rowOf.cend())
            continue;
        count(app->rows[size_t(*row)], *app, -1);
        rowsByApp[app].push_back(*row);
    }
    std::vector<int> emptyApps;
    for (auto& [app, rows] : rowsByApp) {
        if (rows.size() == app->rows.size()) {
            emptyApps.push_back(app->row); // the app row goes, children with it
            continue;
        }
        removeChildRows(*app, std::move(rows));
        Q_EMIT dataChanged(appIndex(*app, 0), appIndex(*app, ColumnCount - 1));
    }
    if (!emptyApps.empty())
        removeAppRows(std::move(emptyApps));
}

void InstanceModel::upsertIds(const QStringList& ids) {
    std::map<App*, std::vector<int>> changed;
    std::map<App*, std::vector<InstanceRecord>> added;
    QList<QString> newAppOrder;
    QHash<QString, std::vector<InstanceRecord>> newApps;
    const auto& changedRecords = m_store->changedRecords(RecordKind::Instance);
    const bool aligned = qsizetype(changedRecords.size()) == ids.size();
    for (qsizetype k = 0; k < ids.size(); ++k) {
        const QString& id = ids[k];
        const Record* rec =
            aligned ? changedRecords[size_t(k)] : m_store->find(RecordKind::Instance, id);
        const auto* r = rec ? std::get_if<InstanceRecord>(rec) : nullptr;
        if (!r)
            continue;
        App* app = m_appByName.value(r->appid);
        if (app) {
            const auto row = app->rowOf.constFind(id);
            if (row != app->rowOf.cend()) {
                InstanceRecord& held = app->rows[size_t(*row)];
                if (!(held == *r)) {
                    count(held, *app, -1);
                    held = *r;
                    count(held, *app, +1);
                    changed[app].push_back(*row);
                }
                continue;
            }
        }
        if (m_appOfId.contains(id))
            continue; // duplicate id in one batch
        m_appOfId.insert(id, r->appid);
        if (m_store->probedInstances() > 0 && !m_unreachable.contains(id)) {
            // Its verdict may have come before its row (a burst applied in chunks).
            const ProbeEvent* p = m_store->probeSummary(id);
            if (p && (p->state == ProbeState::Refused || p->state == ProbeState::Timeout)) {
                m_unreachable.insert(id, r->appid);
                ++m_unreachableByApp[r->appid];
            }
        }
        if (app) {
            added[app].push_back(*r);
        } else {
            if (!newApps.contains(r->appid))
                newAppOrder.append(r->appid);
            newApps[r->appid].push_back(*r);
        }
    }
    for (auto& [app, rows] : changed) {
        const QModelIndex parent = appIndex(*app);
        auto rs = runs(rows);
        if (rs.size() > kMaxChangedRuns)
            rs = {{rs.front().first, rs.back().second}};
        for (const auto& [first, last] : rs)
            Q_EMIT dataChanged(index(first, 0, parent), index(last, ColumnCount - 1, parent));
        if (!added.contains(app))
            Q_EMIT dataChanged(appIndex(*app, 0), appIndex(*app, ColumnCount - 1));
    }
    for (auto& [app, rows] : added) {
        const int first = int(app->rows.size());
        beginInsertRows(appIndex(*app), first, first + int(rows.size()) - 1);
        for (auto& r : rows) {
            count(r, *app, +1);
            app->rowOf.insert(recordId(r), int(app->rows.size()));
            app->rows.push_back(std::move(r));
        }
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
            std::sort(app->rows.begin(), app->rows.end(),
                      [this](const InstanceRecord& x, const InstanceRecord& y) {
                          return compareRows(x, y) < 0;
                      });
            for (const auto& r : app->rows)
                count(r, *app, +1);
            app->renumber();
            m_appByName.insert(appid, app.get());
            m_apps.push_back(std::move(app));
        }
        endInsertRows();
    }
    // Appended and changed rows may stand out of order now: one layout change puts them back.
    std::vector<App*> touched;
    for (const auto& [app, rows] : changed)
        touched.push_back(app);
    for (const auto& [app, rows] : added)
        if (!changed.contains(app))
            touched.push_back(app);
    resort(touched, !newAppOrder.isEmpty());
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

const InstanceRecord* InstanceModel::recordAt(const QModelIndex& index) const {
    if (!index.isValid() || index.model() != this || index.internalPointer() == nullptr)
        return nullptr;
    const auto* app = static_cast<const App*>(index.internalPointer());
    return index.row() < int(app->rows.size()) ? &app->rows[size_t(index.row())] : nullptr;
}

QString InstanceModel::appIdAt(int appRow) const {
    return appRow >= 0 && appRow < int(m_apps.size()) ? m_apps[size_t(appRow)]->appid : QString();
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

} // namespace regscope
