#include "connectors/discovery/InstanceState.h"

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

void InstanceState::upsert(InstanceRecord r, qint64 nowNs, EventBatch& out) {
    const QString id = recordId(r);
    const auto it = m_records.constFind(id);
    if (it != m_records.cend() && *it == r)
        return;
    if (it == m_records.cend()) {
        out.push_back(TimelineEvent{nowNs / 1'000'000, u"instance-register"_s, id,
                                    u"registered "_s % describe(r)});
    } else if (it->status != r.status) {
        out.push_back(
            TimelineEvent{nowNs / 1'000'000, u"instance-set"_s, id,
                          describe(r) % (r.status == 1 ? u" is UP"_s : u" is WAITING"_s)});
    }
    m_byApp[appKey(r.env, r.appid)].insert(id);
    m_appsByEnv[r.env].insert(r.appid);
    out.push_back(UpsertEvent{r, r.latestTimestampNs});
    m_records.insert(id, std::move(r));
}

void InstanceState::remove(const QString& id, qint64 nowNs, EventBatch& out) {
    const auto it = m_records.constFind(id);
    if (it == m_records.cend())
        return;
    // The wire does not say why an instance went; its renew age does.
    const bool evicted = nowNs - it->renewTimestampNs > m_evictThresholdNs;
    out.push_back(TimelineEvent{nowNs / 1'000'000,
                                evicted ? u"instance-evict"_s : u"instance-cancel"_s, id,
                                (evicted ? u"evicted "_s : u"cancelled "_s) % describe(*it)});
    out.push_back(RemoveEvent{RecordKind::Instance, id, 0});
    m_records.erase(it);
}

void InstanceState::replaceAll(std::vector<InstanceRecord> records, qint64 nowNs, EventBatch& out) {
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
        return;
    }
    // The apps worth polling are the ones that have instances now: an app the server no
    // longer knows would make every polls request fail with -404.
    m_appsByEnv.clear();
    QSet<QString> seen;
    for (auto& r : records) {
        seen.insert(recordId(r));
        m_appsByEnv[r.env].insert(r.appid);
        upsert(std::move(r), nowNs, out);
    }
    QStringList gone;
    for (auto it = m_records.cbegin(); it != m_records.cend(); ++it)
        if (!seen.contains(it.key()))
            gone.append(it.key());
    for (const auto& id : gone) {
        const auto& r = m_records.value(id);
        const QString key = appKey(r.env, r.appid);
        m_byApp[key].remove(id);
        if (m_byApp[key].isEmpty())
            m_byApp.remove(key);
        remove(id, nowNs, out);
    }
}

void InstanceState::replaceApp(const QString& env, const QString& appid,
                               std::vector<InstanceRecord> records, qint64 nowNs, EventBatch& out) {
    const QString key = appKey(env, appid);
    const QSet<QString> before = m_byApp.value(key);
    m_appsByEnv[env].insert(appid);
    QSet<QString> seen;
    for (auto& r : records) {
        if (r.env != env || r.appid != appid)
            continue;
        seen.insert(recordId(r));
        upsert(std::move(r), nowNs, out);
    }
    for (const auto& id : before)
        if (!seen.contains(id)) {
            m_byApp[key].remove(id);
            remove(id, nowNs, out);
        }
}

} // namespace regscope::discoveryconn
