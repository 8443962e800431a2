#include "connectors/discovery/InstanceState.h"

#include <algorithm>
#include <limits>

using namespace Qt::StringLiterals;

namespace regscope::discoveryconn {

namespace {

QString describe(const InstanceRecord& r) {
    return r.appid % u' ' % r.hostname % u" (" % r.zone % u'/' % r.env % u')';
}

} // namespace

QString InstanceState::appKey(const QString& env, const QString& appid) {
    return env % u'\n' % appid;
}

void InstanceState::reset() {
    m_records.clear();
    m_byApp.clear();
    m_appsByEnv.clear();
    m_hasSnapshot = false;
}

QHash<QString, QSet<QString>> InstanceState::apps() const {
    return m_appsByEnv;
}

void InstanceState::judge(InstanceRecord& r, const Observation& obs) {
    r.observedAtMs = obs.localNowMs;
    if (r.renewTimestampNs <= 0) {
        r.renewAgeMs = -1;
        r.staleness = Staleness::Unknown;
        return;
    }
    r.renewAgeMs = std::max<qint64>(0, obs.serverNowMs - r.renewTimestampNs / 1'000'000);
    r.staleness = r.renewAgeMs > 2 * obs.renewIntervalMs ? Staleness::Stale : Staleness::Fresh;
}

bool InstanceState::sameButObservation(const InstanceRecord& a, const InstanceRecord& b) {
    InstanceRecord x = a;
    x.renewAgeMs = b.renewAgeMs;
    x.observedAtMs = b.observedAtMs;
    return x == b;
}

void InstanceState::upsert(InstanceRecord r, qint64 nowMs, EventBatch& out) {
    const QString id = recordId(r);
    const auto it = m_records.constFind(id);
    // Unchanged but for its age: the store's copy still ages right from its own observation.
    if (it != m_records.cend() && sameButObservation(*it, r))
        return;
    if (it == m_records.cend()) {
        out.push_back(
            TimelineEvent{nowMs, u"instance-register"_s, id, u"registered "_s % describe(r)});
    } else if (it->status != r.status) {
        out.push_back(
            TimelineEvent{nowMs, u"instance-set"_s, id,
                          describe(r) % (r.status == 1 ? u" is UP"_s : u" is WAITING"_s)});
    }
    m_byApp[appKey(r.env, r.appid)].insert(id);
    m_appsByEnv[r.env].insert(r.appid);
    out.push_back(UpsertEvent{r, r.latestTimestampNs});
    m_records.insert(id, std::move(r));
}

void InstanceState::forget(const QString& id) {
    const auto it = m_records.constFind(id);
    if (it == m_records.cend())
        return;
    const QString key = appKey(it->env, it->appid);
    const auto app = m_byApp.find(key);
    if (app != m_byApp.end()) {
        app->remove(id);
        if (app->isEmpty())
            m_byApp.erase(app);
    }
    m_records.erase(it);
}

qint64 InstanceState::removeAll(const QStringList& ids, const Observation& obs,
                                const Removals& removals, EventBatch& out) {
    if (ids.isEmpty() && !removals.serverRestarted)
        return 0;
    const qint64 nowMs = obs.localNowMs;
    if (removals.serverRestarted) {
        // Nobody evicted these: the server lost them when it restarted.
        out.push_back(TimelineEvent{nowMs, u"server-restart"_s, u"discovery server"_s,
                                    u"server restarted: %1 %2 no longer known"_s.arg(ids.size())
                                        .arg(ids.size() == 1 ? u"instance"_s : u"instances"_s)});
        for (const auto& id : ids) {
            out.push_back(RemoveEvent{RecordKind::Instance, id, 0});
            forget(id);
        }
        return 0;
    }
    // Eviction candidates: gone, and older than the threshold by the server's clock. With
    // counters, only as many as the server counted are evictions (oldest first); the rest
    // were cancelled. Without counters, renew age alone decides.
    struct Gone {
        QString id;
        qint64 ageMs;
    };
    std::vector<Gone> gone;
    gone.reserve(size_t(ids.size()));
    for (const auto& id : ids) {
        const auto& r = m_records[id];
        gone.push_back(
            {id, r.renewTimestampNs > 0 ? obs.serverNowMs - r.renewTimestampNs / 1'000'000 : -1});
    }
    std::stable_sort(gone.begin(), gone.end(),
                     [](const Gone& a, const Gone& b) { return a.ageMs > b.ageMs; });
    const qint64 thresholdMs = m_evictThresholdNs / 1'000'000;
    qint64 budget = removals.evictionsCounted.value_or(std::numeric_limits<qint64>::max());
    qint64 evicted = 0;
    for (const auto& g : gone) {
        const bool eviction = g.ageMs > thresholdMs && budget > 0;
        if (eviction) {
            --budget;
            ++evicted;
        }
        const auto& r = m_records[g.id];
        out.push_back(TimelineEvent{nowMs, eviction ? u"instance-evict"_s : u"instance-cancel"_s,
                                    g.id,
                                    (eviction ? u"evicted "_s : u"cancelled "_s) % describe(r)});
        out.push_back(RemoveEvent{RecordKind::Instance, g.id, 0});
        forget(g.id);
    }
    return evicted;
}

qsizetype InstanceState::goneFromAll(const std::vector<InstanceRecord>& records) const {
    QSet<QString> seen;
    seen.reserve(qsizetype(records.size()));
    for (const auto& r : records)
        seen.insert(recordId(r));
    qsizetype n = 0;
    for (auto it = m_records.cbegin(); it != m_records.cend(); ++it)
        n += seen.contains(it.key()) ? 0 : 1;
    return n;
}

qsizetype InstanceState::goneFromApp(const QString& env, const QString& appid,
                                     const std::vector<InstanceRecord>& records) const {
    QSet<QString> seen;
    for (const auto& r : records)
        if (r.env == env && r.appid == appid)
            seen.insert(recordId(r));
    qsizetype n = 0;
    for (const auto& id : m_byApp.value(appKey(env, appid)))
        n += seen.contains(id) ? 0 : 1;
    return n;
}

qint64 InstanceState::replaceAll(std::vector<InstanceRecord> records, const Observation& obs,
                                 const Removals& removals, EventBatch& out) {
    for (auto& r : records)
        judge(r, obs);
    if (!m_hasSnapshot) {
        // The first answer is the store's snapshot; no timeline burst for what already was.
        m_hasSnapshot = true;
        SnapshotEvent snap;
        snap.kind = RecordKind::Instance;
        for (auto& r : records) {
            const QString id = recordId(r);
            m_byApp[appKey(r.env, r.appid)].insert(id);
            m_appsByEnv[r.env].insert(r.appid);
            snap.records.emplace_back(r);
            m_records.insert(id, std::move(r));
        }
        out.push_back(std::move(snap));
        return 0;
    }
    // The apps worth polling are the ones that have instances now: an app the server no
    // longer knows would make every polls request fail with -404.
    m_appsByEnv.clear();
    QSet<QString> seen;
    for (auto& r : records) {
        seen.insert(recordId(r));
        m_appsByEnv[r.env].insert(r.appid);
        upsert(std::move(r), obs.localNowMs, out);
    }
    QStringList gone;
    for (auto it = m_records.cbegin(); it != m_records.cend(); ++it)
        if (!seen.contains(it.key()))
            gone.append(it.key());
    return removeAll(gone, obs, removals, out);
}

qint64 InstanceState::replaceApp(const QString& env, const QString& appid,
                                 std::vector<InstanceRecord> records, const Observation& obs,
                                 const Removals& removals, EventBatch& out) {
    const QString key = appKey(env, appid);
    const QSet<QString> before = m_byApp.value(key);
    m_appsByEnv[env].insert(appid);
    QSet<QString> seen;
    for (auto& r : records) {
        if (r.env != env || r.appid != appid)
            continue;
        judge(r, obs);
        seen.insert(recordId(r));
        upsert(std::move(r), obs.localNowMs, out);
    }
    QStringList gone;
    for (const auto& id : before)
        if (!seen.contains(id))
            gone.append(id);
    Removals scoped = removals;
    scoped.serverRestarted = false; // a restart is told once, by the full refresh
    return removeAll(gone, obs, scoped, out);
}

} // namespace regscope::discoveryconn
