#include "connectors/etcd/EtcdAuxPoller.h"

#include "connectors/PrometheusText.h"
#include "connectors/etcd/EtcdMetricsScraper.h"
#include "connectors/etcd/EtcdRangePager.h"

#include <QList>
#include <QSet>
#include <QUrl>

#include <algorithm>
#include <optional>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

qint64 nowMs() {
    return QDateTime::currentMSecsSinceEpoch();
}

QString hostPortOf(const QString& clientUrl) {
    const QUrl url(clientUrl);
    return url.host() + u':' + QString::number(url.port(2379));
}

const QSet<QString>& wantedMetrics() {
    static const QSet<QString> names{
        u"etcd_server_proposals_committed_total"_s,
        u"etcd_server_proposals_applied_total"_s,
        u"etcd_server_proposals_pending"_s,
        u"etcd_server_proposals_failed_total"_s,
        u"etcd_server_has_leader"_s,
        u"etcd_server_leader_changes_seen_total"_s,
        u"etcd_debugging_mvcc_watch_stream_total"_s,
        u"etcd_debugging_mvcc_watcher_total"_s,
        u"etcd_debugging_mvcc_keys_total"_s,
        u"etcd_debugging_lease_granted_total"_s,
        u"etcd_debugging_lease_revoked_total"_s,
        u"etcd_debugging_lease_renewed_total"_s,
        u"etcd_mvcc_db_total_size_in_bytes"_s,
        u"etcd_mvcc_db_total_size_in_use_in_bytes"_s,
    };
    return names;
}

} // namespace

EtcdAuxPoller::EtcdAuxPoller(std::shared_ptr<EtcdConnectorShared> shared)
    : s(std::move(shared)) {}

EtcdClient* EtcdAuxPoller::ensureClient() {
    if (m_client)
        return m_client.get();
    QString preferred;
    {
        std::lock_guard lock(s->sharedMutex);
        preferred = s->endpointInUse;
    }
    QStringList order = s->options.endpoints;
    if (!preferred.isEmpty()) {
        order.removeAll(preferred);
        order.prepend(preferred);
    }
    for (const QString& ep : std::as_const(order)) {
        auto c = std::make_unique<EtcdClient>(ep, s->options);
        c->setCallGroup(s->calls);
        if (c->connect()) {
            m_client = std::move(c);
            return m_client.get();
        }
        if (s->stopping)
            break;
    }
    return nullptr;
}

template <typename T>
void EtcdAuxPoller::noteError(const EtcdResult<T>& r) {
    if (!r && r.error().code != EtcdError::Code::LeaseNotFound &&
        r.error().code != EtcdError::Code::Compacted &&
        r.error().code != EtcdError::Code::FutureRevision)
        m_client.reset(); // reconnect (maybe elsewhere) next time
}

// Time travel: the prefix at a revision, through the same pager as the first load.
void EtcdAuxPoller::serveRevisionRequest(const EtcdRevisionRequest& request) {
    RevisionState state;
    state.requestId = request.id;
    state.revision = request.revision;
    EtcdClient* client = ensureClient();
    if (!client) {
        state.error = u"no etcd endpoint reachable"_s;
        s->emitRevisionState(state);
        return;
    }
    const EtcdPageInterrupt interrupted = [this]() -> std::optional<EtcdError> {
        if (s->stopping)
            return EtcdError{EtcdError::Code::Canceled, u"stopped"_s};
        return std::nullopt;
    };
    auto read =
        readPaged(*client, {s->rangeKey, s->rangeEnd, request.revision}, s->options, interrupted,
                  [&](EtcdPage& page) {
                      state.headerRevision = page.headerRevision;
                      if (state.kvs.empty())
                          state.kvs.reserve(static_cast<size_t>(page.total));
                      std::move(page.kvs.begin(), page.kvs.end(), std::back_inserter(state.kvs));
                  });
    if (read) {
        state.ok = true;
        if (request.revision == 0)
            state.revision = *read;
    } else {
        noteError(read);
        const auto code = read.error().code;
        const QString rev = QString::number(request.revision);
        state.error = code == EtcdError::Code::Compacted
                          ? u"revision "_s + rev + u" has been compacted"_s
                      : code == EtcdError::Code::FutureRevision
                          ? u"revision "_s + rev + u" does not exist yet"_s
                          : read.error().message;
        state.kvs.clear();
        state.headerRevision = 0;
    }
    fillRevisionBounds(state);
    s->emitRevisionState(state);
}

// The latest revision (when the read failed) and the compaction floor, so the panel can say
// which revisions there are.
void EtcdAuxPoller::fillRevisionBounds(RevisionState& state) {
    EtcdClient* client = m_client.get(); // null when an error dropped it
    if (client && state.headerRevision == 0) {
        EtcdRangeRequest latest;
        latest.key = s->rangeKey;
        latest.rangeEnd = s->rangeEnd;
        latest.countOnly = true;
        if (auto page = client->range(latest))
            state.headerRevision = page->revision;
    }
    if (client && state.headerRevision > 0)
        if (auto floor = client->compactFloor(state.headerRevision))
            state.compactFloor = *floor;
}

void EtcdAuxPoller::refreshLeases() {
    std::vector<qint64> ids;
    {
        std::lock_guard lock(s->sharedMutex);
        for (const auto& [id, refs] : s->leaseRefs)
            ids.push_back(id);
    }
    for (auto it = m_leaseFetchedAt.begin(); it != m_leaseFetchedAt.end();) {
        if (!std::binary_search(ids.begin(), ids.end(), it.key()))
            it = m_leaseFetchedAt.erase(it);
        else
            ++it;
    }
    if (ids.empty())
        return;
    EtcdClient* client = ensureClient();
    if (!client)
        return;
    const qint64 now = nowMs();
    // Oldest first, at most maxLeaseCallsPerTick calls: one call per lease, not per key.
    std::sort(ids.begin(), ids.end(), [&](qint64 a, qint64 b) {
        return m_leaseFetchedAt.value(a, 0) < m_leaseFetchedAt.value(b, 0);
    });
    std::vector<LeaseInfo> infos;
    int calls = 0;
    for (qint64 id : ids) {
        if (s->stopping || calls >= s->options.maxLeaseCallsPerTick)
            break;
        if (now - m_leaseFetchedAt.value(id, 0) < s->options.leaseRefreshMs)
            break; // sorted: the rest are fresher
        ++calls;
        auto info = client->leaseTimeToLive(id, true);
        if (!info) {
            noteError(info);
            if (info.error().code != EtcdError::Code::LeaseNotFound)
                break;
            LeaseInfo gone;
            gone.id = id;
            gone.ttl = -1;
            gone.fetchedAtMs = nowMs();
            infos.push_back(std::move(gone));
        } else {
            infos.push_back(std::move(*info));
        }
        m_leaseFetchedAt.insert(id, now);
    }
    if (!infos.empty()) {
        EventBatch b;
        b.push_back(LeasesEvent{std::move(infos)});
        s->emitBatch(std::move(b));
    }
}

void EtcdAuxPoller::pollMember(ClusterMember& m, ClusterSample& info, MetricsSample& sample) {
    EtcdOptions memberOptions = s->options;
    memberOptions.callTimeoutMs = 1000;
    memberOptions.connectTimeoutMs = 500;
    const QString url = m.clientUrls.first();
    auto& mc = m_memberClients[url];
    if (!mc) {
        mc = std::make_shared<EtcdClient>(hostPortOf(url), memberOptions);
        mc->setCallGroup(s->calls);
    }
    auto st = mc->status();
    if (!st) {
        m.reachable = false;
        m.error = st.error().message;
        m_memberClients.remove(url); // fresh channel next time
        return;
    }
    const ClusterMember base = m;
    m = std::move(*st);
    m.name = base.name;
    m.clientUrls = base.clientUrls;
    m.peerUrls = base.peerUrls;
    m.isLearner = base.isLearner;
    m.id = base.id;
    if (m.leader != 0)
        info.leaderId = m.leader;
    if (auto text = fetchEtcdMetrics(url, 1000)) {
        for (MetricPoint& p : parsePrometheusText(*text, wantedMetrics())) {
            p.labels.insert(u"member"_s, m.name.isEmpty() ? hostPortOf(url) : m.name);
            sample.points.push_back(std::move(p));
        }
    }
}

void EtcdAuxPoller::pollCluster() {
    EtcdClient* client = ensureClient();
    if (!client)
        return;
    auto list = client->memberList();
    if (!list) {
        noteError(list);
        return;
    }
    ClusterSample info = std::move(*list);
    {
        std::lock_guard lock(s->sharedMutex);
        info.endpointInUse = s->endpointInUse;
    }
    info.timestampMs = nowMs();
    MetricsSample sample;
    sample.timestampMs = info.timestampMs;
    for (ClusterMember& m : info.members)
        if (!s->stopping && !m.clientUrls.isEmpty())
            pollMember(m, info, sample);
    EventBatch b;
    b.push_back(std::move(info));
    if (!sample.points.empty())
        b.push_back(std::move(sample));
    s->emitBatch(std::move(b));
}

void EtcdAuxPoller::run() {
    while (!s->stopping) {
        std::optional<EtcdRevisionRequest> request;
        {
            std::unique_lock lock(s->waitMutex);
            s->waitCv.wait_for(lock, std::chrono::milliseconds(s->options.leasePollMs),
                               [&] { return s->stopping.load() || !s->requests.empty(); });
            if (s->stopping)
                break;
            if (!s->requests.empty()) {
                request = s->requests.front();
                s->requests.pop_front();
            }
        }
        if (request) {
            serveRevisionRequest(*request);
            continue;
        }
        refreshLeases();
        if (s->options.clusterPollMs > 0 &&
            nowMs() - m_lastClusterPoll >= s->options.clusterPollMs) {
            m_lastClusterPoll = nowMs();
            pollCluster();
        }
    }
    m_client.reset();
    m_memberClients.clear();
}

} // namespace regscope
