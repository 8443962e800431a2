#include "connectors/etcd/EtcdConnector.h"

#include "connectors/PrometheusText.h"
#include "connectors/etcd/EtcdClient.h"
#include "connectors/etcd/EtcdMetricsScraper.h"
#include "connectors/etcd/EtcdServiceLayout.h"

#include <QDateTime>
#include <QHash>
#include <QSet>
#include <QUrl>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

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

namespace {

// The next page's key count: about pageTargetBytes at the bytes per key seen so far.
qint64 nextPageLimit(const EtcdOptions& o, qint64 current, const std::vector<KeyRecord>& page) {
    if (page.empty())
        return current;
    qint64 bytes = 0;
    for (const KeyRecord& kv : page)
        bytes += kv.key.size() + kv.value.size() + 20; // + revisions, version, lease, tags
    const qint64 perKey = std::max<qint64>(1, bytes / static_cast<qint64>(page.size()));
    return std::clamp<qint64>(o.pageTargetBytes / perKey, 1, std::max<qint64>(1, o.maxPageSize));
}

} // namespace

class EtcdConnector::Controls : public SourceControls {
public:
    explicit Controls(EtcdConnector* etcd)
        : m_etcd(etcd) {}
    bool canCancelLoad() const override { return true; }
    void cancelLoad() override { m_etcd->cancelSnapshot(); }
    bool supportsTimeTravel() const override { return true; }
    void requestRevisionState(quint64 requestId, qint64 revision) override {
        m_etcd->requestRevisionState(requestId, revision);
    }

private:
    EtcdConnector* m_etcd;
};

struct EtcdConnector::Impl {
    EtcdConnector* q = nullptr;
    EtcdOptions options;
    QByteArray rangeKey; // first key of the prefix range
    QByteArray rangeEnd;

    std::thread mainThread;
    std::thread auxThread;
    std::atomic<bool> stopping{false};
    std::atomic<bool> snapshotCanceled{false};
    // Every client of one run joins it; stop() cancels it so no call outlives stop().
    std::shared_ptr<EtcdCallGroup> calls = std::make_shared<EtcdCallGroup>();
    std::mutex waitMutex;
    std::condition_variable waitCv;

    // Main thread state (survives stop/start so a restart resumes).
    std::atomic<qint64> applied{0};
    bool needSnapshot = true;
    bool everEmittedKeys = false; // key events went out: later loads must be full snapshots
    QString resyncReason;
    int endpointIndex = 0;
    bool wasLive = false;
    QString lastLiveEndpoint;
    QHash<QByteArray, qint64> keyLease;     // only keys that have a lease
    QHash<QByteArray, QString> keyInstance; // service-layout keys -> instance id

    mutable std::mutex sharedMutex;
    QString endpointInUse;
    EtcdWatchStream* currentWatch = nullptr;
    std::map<qint64, int> leaseRefs; // lease id -> number of keys on it

    struct RevisionRequest {
        quint64 id = 0;
        qint64 revision = 0;
    };
    std::deque<RevisionRequest> requests; // bounded in requestRevisionState

    void emitBatch(EventBatch&& batch) {
        if (batch.empty())
            return;
        Q_EMIT q->eventsReady(std::make_shared<const EventBatch>(std::move(batch)));
    }
    void emitHealth(HealthState state, const QString& reason) {
        EventBatch b;
        b.push_back(SourceHealth{state, reason});
        emitBatch(std::move(b));
    }
    void timeline(EventBatch& b, const QString& category, const QString& text) {
        b.push_back(TimelineEvent{nowMs(), category, QString::fromUtf8(options.prefix), text});
    }

    // Interruptible wait: returns false when stopping.
    bool waitFor(int ms) {
        std::unique_lock lock(waitMutex);
        waitCv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping.load(); });
        return !stopping;
    }

    void trackKey(const KeyRecord& kv, EventBatch& batch) {
        const auto old = keyLease.constFind(kv.key);
        const qint64 oldLease = old == keyLease.constEnd() ? 0 : *old;
        if (oldLease != kv.lease) {
            std::lock_guard lock(sharedMutex);
            if (oldLease != 0 && --leaseRefs[oldLease] <= 0)
                leaseRefs.erase(oldLease);
            if (kv.lease != 0)
                ++leaseRefs[kv.lease];
        }
        if (kv.lease != 0)
            keyLease.insert(kv.key, kv.lease);
        else
            keyLease.remove(kv.key);
        if (auto inst = instanceFromKey(kv, options.servicePrefix)) {
            const QString id = recordId(*inst);
            const auto prevId = keyInstance.constFind(kv.key);
            if (prevId != keyInstance.constEnd() && *prevId != id)
                batch.push_back(RemoveEvent{RecordKind::Instance, *prevId, kv.modRevision});
            keyInstance.insert(kv.key, id);
            batch.push_back(UpsertEvent{std::move(*inst), kv.modRevision});
        }
    }

    void untrackKey(const QByteArray& key, qint64 revision, EventBatch& batch) {
        if (const auto it = keyLease.find(key); it != keyLease.end()) {
            std::lock_guard lock(sharedMutex);
            if (--leaseRefs[*it] <= 0)
                leaseRefs.erase(*it);
            keyLease.erase(it);
        }
        if (const auto it = keyInstance.find(key); it != keyInstance.end()) {
            batch.push_back(RemoveEvent{RecordKind::Instance, *it, revision});
            keyInstance.erase(it);
        }
    }

    // Range over the prefix in pages at one fixed revision (the first page's).
    // The first load of an empty store goes out page by page as upserts: rows appear while a
    // big prefix loads and no second full copy is held. Any later load (resync, a retry after
    // a partial first load) is one SnapshotEvent, which the store merges as targeted changes.
    bool mayStream() const { return !everEmittedKeys; }

    static ProgressEvent progressEvent(qint64 done, qint64 total, bool finished) {
        return ProgressEvent{u"keys"_s, done, total, finished, !finished};
    }

    // The first load, with a ProgressEvent after every page and a finished one at the end
    // (whatever the outcome), so the panel's progress never hangs.
    EtcdResult<void> snapshot(EtcdClient& client) {
        auto result = pagedSnapshot(client);
        EventBatch done;
        done.push_back(progressEvent(lastProgressDone, lastProgressTotal, true));
        emitBatch(std::move(done));
        return result;
    }

    qint64 lastProgressDone = 0;
    qint64 lastProgressTotal = 0;

    EtcdResult<void> pagedSnapshot(EtcdClient& client) {
        for (int attempt = 0; attempt < 3; ++attempt) {
            const bool stream = mayStream();
            std::vector<Record> records;
            qint64 loaded = 0;
            EtcdRangeRequest req;
            req.key = rangeKey;
            req.rangeEnd = rangeEnd;
            req.limit = std::max<qint64>(1, options.pageSize);
            qint64 revision = 0, total = 0;
            bool compacted = false;
            while (true) {
                if (stopping)
                    return std::unexpected(EtcdError{EtcdError::Code::Canceled, u"stopped"_s});
                if (snapshotCanceled)
                    return std::unexpected(
                        EtcdError{EtcdError::Code::Canceled, u"snapshot canceled by the user"_s});
                req.revision = revision;
                auto page = client.range(req);
                if (!page && page.error().code == EtcdError::Code::TooLarge && req.limit > 1) {
                    req.limit = std::max<qint64>(1, req.limit / 2); // values are big: smaller pages
                    continue;
                }
                if (!page && page.error().code == EtcdError::Code::Compacted && revision != 0) {
                    compacted = true; // compacted while we paged: start over at the latest
                    break;
                }
                if (!page)
                    return std::unexpected(page.error());
                if (revision == 0) {
                    revision = page->revision;
                    total = page->count;
                    if (!stream)
                        records.reserve(static_cast<size_t>(total));
                }
                const bool more = page->more && !page->kvs.empty();
                if (more)
                    req.key = page->kvs.back().key + QByteArray(1, '\0');
                req.limit = nextPageLimit(options, req.limit, page->kvs);
                loaded += static_cast<qint64>(page->kvs.size());
                lastProgressDone = loaded;
                lastProgressTotal = total;
                if (stream) {
                    EventBatch batch;
                    batch.reserve(page->kvs.size());
                    for (auto& kv : page->kvs) {
                        trackKey(kv, batch);
                        // The state at the snapshot's revision: watch events come after it.
                        batch.push_back(UpsertEvent{std::move(kv), revision});
                    }
                    if (!batch.empty())
                        everEmittedKeys = true;
                    batch.push_back(progressEvent(loaded, total, false));
                    emitBatch(std::move(batch));
                } else {
                    for (auto& kv : page->kvs)
                        records.emplace_back(std::move(kv));
                    EventBatch progress;
                    progress.push_back(progressEvent(loaded, total, false));
                    emitBatch(std::move(progress));
                }
                if (!more)
                    break;
            }
            if (compacted)
                continue;
            if (stream) {
                applied = revision;
                needSnapshot = false;
                resyncReason.clear();
            } else {
                applySnapshot(std::move(records), revision);
            }
            everEmittedKeys = true;
            return {};
        }
        return std::unexpected(EtcdError{EtcdError::Code::Compacted,
                                         u"the prefix kept being compacted while it was read"_s});
    }

    void applySnapshot(std::vector<Record>&& records, qint64 revision) {
        EventBatch batch;
        // Rebuild lease and instance bookkeeping; instances that vanished are removed.
        QHash<QByteArray, QString> oldInstances = std::move(keyInstance);
        keyInstance.clear();
        keyLease.clear();
        {
            std::lock_guard lock(sharedMutex);
            leaseRefs.clear();
        }
        EventBatch instanceEvents;
        for (const Record& r : records)
            trackKey(std::get<KeyRecord>(r), instanceEvents);
        QSet<QString> liveIds;
        for (const QString& id : std::as_const(keyInstance))
            liveIds.insert(id);
        for (const QString& id : std::as_const(oldInstances))
            if (!liveIds.contains(id))
                batch.push_back(RemoveEvent{RecordKind::Instance, id, revision});
        const auto count = records.size();
        batch.push_back(SnapshotEvent{RecordKind::Key, std::move(records), revision});
        for (auto& e : instanceEvents)
            batch.push_back(std::move(e));
        if (!resyncReason.isEmpty()) {
            timeline(batch, u"resync"_s,
                     resyncReason + u"; reloaded "_s + QString::number(count) +
                         u" keys at revision "_s + QString::number(revision));
            resyncReason.clear();
        }
        applied = revision;
        needSnapshot = false;
        emitBatch(std::move(batch));
    }

    // Watches from applied + 1 until the stream ends; the error says why.
    EtcdError watchLoop(EtcdClient& client) {
        EtcdWatchRequest wr;
        wr.key = rangeKey;
        wr.rangeEnd = rangeEnd;
        wr.startRevision = applied + 1;
        auto stream = client.watch(wr);
        if (!stream)
            return stream.error();
        {
            std::lock_guard lock(sharedMutex);
            currentWatch = stream->get();
        }
        auto clear = qScopeGuard([&] {
            std::lock_guard lock(sharedMutex);
            currentWatch = nullptr;
        });
        if (stopping)
            return EtcdError{EtcdError::Code::Canceled, u"stopped"_s};
        while (true) {
            auto resp = (*stream)->read();
            if (!resp)
                return resp.error();
            if (resp->canceled) {
                if (resp->compactRevision != 0)
                    return EtcdError{EtcdError::Code::Compacted,
                                     u"watch from revision "_s + QString::number(applied + 1) +
                                         u" was compacted (compaction at revision "_s +
                                         QString::number(resp->compactRevision) + u')'};
                return EtcdError{EtcdError::Code::Unavailable, u"etcd "_s + client.endpoint() +
                                                                   u" canceled the watch: "_s +
                                                                   resp->cancelReason};
            }
            EventBatch batch;
            if (resp->created) {
                EventBatch b;
                if (wasLive && lastLiveEndpoint != client.endpoint())
                    timeline(b, u"failover"_s,
                             u"moved from "_s + lastLiveEndpoint + u" to "_s + client.endpoint() +
                                 u", resuming at revision "_s + QString::number(applied + 1));
                b.push_back(SourceHealth{HealthState::Live,
                                         u"watching etcd "_s + client.endpoint() +
                                             u" from revision "_s + QString::number(applied + 1)});
                emitBatch(std::move(b));
                wasLive = true;
                lastLiveEndpoint = client.endpoint();
                continue;
            }
            if (resp->events.empty()) {
                // A progress notification: every event up to headerRevision has been sent.
                applied = std::max(applied.load(), resp->headerRevision);
                continue;
            }
            qint64 last = applied;
            for (auto& ev : resp->events) {
                const qint64 rev = ev.kv.modRevision;
                if (rev <= applied)
                    continue; // already applied (never expected: we watch from applied + 1)
                if (ev.isDelete) {
                    untrackKey(ev.kv.key, rev, batch);
                    batch.push_back(
                        RemoveEvent{RecordKind::Key, recordId(ev.kv), rev});
                } else {
                    trackKey(ev.kv, batch);
                    batch.push_back(UpsertEvent{std::move(ev.kv), rev});
                }
                last = std::max(last, rev);
            }
            applied = last;
            emitBatch(std::move(batch));
        }
    }

    void runMain() {
        const int n = static_cast<int>(options.endpoints.size());
        int failedInRound = 0;
        emitHealth(HealthState::Connecting,
                   u"connecting to etcd "_s + options.endpoints.join(u", "_s));
        while (!stopping) {
            const QString endpoint = options.endpoints.at(endpointIndex % n);
            EtcdClient client(endpoint, options);
            client.setCallGroup(calls);
            EtcdError error;
            if (auto c = client.connect(); !c) {
                error = c.error();
            } else {
                {
                    std::lock_guard lock(sharedMutex);
                    endpointInUse = endpoint;
                }
                bool ok = true;
                if (needSnapshot) {
                    if (auto s = snapshot(client); !s) {
                        error = s.error();
                        ok = false;
                    }
                }
                if (ok) {
                    error = watchLoop(client);
                    failedInRound = 0;
                }
                std::lock_guard lock(sharedMutex);
                endpointInUse.clear();
            }
            if (stopping)
                break;
            if (snapshotCanceled) {
                emitHealth(HealthState::Down, u"snapshot canceled by the user"_s);
                break;
            }
            if (error.code == EtcdError::Code::Compacted) {
                // Never retry a compacted revision: read the latest state again.
                needSnapshot = true;
                resyncReason = error.message;
                emitHealth(HealthState::Degraded, u"resyncing: "_s + error.message);
                continue;
            }
            ++failedInRound;
            endpointIndex = (endpointIndex + 1) % n;
            if (failedInRound >= n) {
                failedInRound = 0;
                const QString secs = QString::number(options.retryBackoffMs / 1000.0, 'g', 3);
                emitHealth(HealthState::Down, error.message + u"; retrying in "_s + secs + u" s"_s);
                if (!waitFor(options.retryBackoffMs))
                    break;
            } else {
                emitHealth(wasLive ? HealthState::Degraded : HealthState::Connecting,
                           error.message + u"; trying "_s + options.endpoints.at(endpointIndex));
            }
        }
    }

    // --- aux thread: leases, cluster, time travel ----------------------------------------------

    std::unique_ptr<EtcdClient> auxClient;
    QHash<qint64, qint64> leaseFetchedAt;
    qint64 lastClusterPoll = 0;
    QHash<QString, std::shared_ptr<EtcdClient>> memberClients;

    EtcdClient* ensureAuxClient() {
        if (auxClient)
            return auxClient.get();
        QString preferred;
        {
            std::lock_guard lock(sharedMutex);
            preferred = endpointInUse;
        }
        QStringList order = options.endpoints;
        if (!preferred.isEmpty()) {
            order.removeAll(preferred);
            order.prepend(preferred);
        }
        for (const QString& ep : std::as_const(order)) {
            auto c = std::make_unique<EtcdClient>(ep, options);
            c->setCallGroup(calls);
            if (c->connect()) {
                auxClient = std::move(c);
                return auxClient.get();
            }
            if (stopping)
                break;
        }
        return nullptr;
    }

    template <typename T>
    void noteAuxError(const EtcdResult<T>& r) {
        if (!r && r.error().code != EtcdError::Code::LeaseNotFound &&
            r.error().code != EtcdError::Code::Compacted &&
            r.error().code != EtcdError::Code::FutureRevision)
            auxClient.reset(); // reconnect (maybe elsewhere) next time
    }

    void serveRevisionRequest(const RevisionRequest& request) {
        RevisionState state;
        state.requestId = request.id;
        state.revision = request.revision;
        EtcdClient* client = ensureAuxClient();
        if (!client) {
            state.error = u"no etcd endpoint reachable"_s;
            Q_EMIT q->controls()->revisionStateReady(state);
            return;
        }
        EtcdRangeRequest req;
        req.key = rangeKey;
        req.rangeEnd = rangeEnd;
        req.limit = std::max<qint64>(1, options.pageSize);
        qint64 revision = request.revision;
        while (!stopping) {
            req.revision = revision;
            auto page = client->range(req);
            if (!page && page.error().code == EtcdError::Code::TooLarge && req.limit > 1) {
                req.limit /= 2;
                continue;
            }
            if (!page) {
                noteAuxError(page);
                client = auxClient.get(); // null when the error dropped the client
                state.error = page.error().code == EtcdError::Code::Compacted
                                  ? u"revision "_s + QString::number(request.revision) +
                                        u" has been compacted"_s
                              : page.error().code == EtcdError::Code::FutureRevision
                                  ? u"revision "_s + QString::number(request.revision) +
                                        u" does not exist yet"_s
                                  : page.error().message;
                state.kvs.clear();
                break;
            }
            if (revision == 0)
                revision = page->revision;
            state.headerRevision = page->revision;
            const bool more = page->more && !page->kvs.empty();
            if (more)
                req.key = page->kvs.back().key + QByteArray(1, '\0');
            req.limit = nextPageLimit(options, req.limit, page->kvs);
            for (auto& kv : page->kvs)
                state.kvs.push_back(std::move(kv));
            if (!more) {
                state.ok = true;
                break;
            }
        }
        if (state.ok && request.revision == 0)
            state.revision = revision;
        if (client && state.headerRevision == 0) { // failed: still tell latest and floor
            EtcdRangeRequest latest;
            latest.key = rangeKey;
            latest.rangeEnd = rangeEnd;
            latest.countOnly = true;
            if (auto page = client->range(latest))
                state.headerRevision = page->revision;
        }
        const qint64 current = state.headerRevision;
        if (client && current > 0) {
            if (auto floor = client->compactFloor(current))
                state.compactFloor = *floor;
        }
        Q_EMIT q->controls()->revisionStateReady(state);
    }

    void refreshLeases() {
        std::vector<qint64> ids;
        {
            std::lock_guard lock(sharedMutex);
            for (const auto& [id, refs] : leaseRefs)
                ids.push_back(id);
        }
        for (auto it = leaseFetchedAt.begin(); it != leaseFetchedAt.end();) {
            if (!std::binary_search(ids.begin(), ids.end(), it.key()))
                it = leaseFetchedAt.erase(it);
            else
                ++it;
        }
        if (ids.empty())
            return;
        EtcdClient* client = ensureAuxClient();
        if (!client)
            return;
        const qint64 now = nowMs();
        // Oldest first, at most maxLeaseCallsPerTick calls: one call per lease, not per key.
        std::sort(ids.begin(), ids.end(), [&](qint64 a, qint64 b) {
            return leaseFetchedAt.value(a, 0) < leaseFetchedAt.value(b, 0);
        });
        QList<LeaseInfo> infos;
        int calls = 0;
        for (qint64 id : ids) {
            if (stopping || calls >= options.maxLeaseCallsPerTick)
                break;
            if (now - leaseFetchedAt.value(id, 0) < options.leaseRefreshMs)
                break; // sorted: the rest are fresher
            ++calls;
            auto info = client->leaseTimeToLive(id, true);
            if (!info) {
                noteAuxError(info);
                if (info.error().code != EtcdError::Code::LeaseNotFound)
                    break;
                LeaseInfo gone;
                gone.id = id;
                gone.ttl = -1;
                gone.fetchedAtMs = nowMs();
                infos.append(gone);
            } else {
                infos.append(*info);
            }
            leaseFetchedAt.insert(id, now);
        }
        if (!infos.isEmpty()) {
            EventBatch b;
            b.push_back(LeasesEvent{std::vector<LeaseInfo>(infos.begin(), infos.end())});
            emitBatch(std::move(b));
        }
    }

    void pollCluster() {
        EtcdClient* client = ensureAuxClient();
        if (!client)
            return;
        auto list = client->memberList();
        if (!list) {
            noteAuxError(list);
            return;
        }
        ClusterSample info = std::move(*list);
        {
            std::lock_guard lock(sharedMutex);
            info.endpointInUse = endpointInUse;
        }
        info.timestampMs = nowMs();
        MetricsSample sample;
        sample.timestampMs = info.timestampMs;
        EtcdOptions memberOptions = options;
        memberOptions.callTimeoutMs = 1000;
        memberOptions.connectTimeoutMs = 500;
        for (ClusterMember& m : info.members) {
            if (stopping || m.clientUrls.isEmpty())
                continue;
            const QString url = m.clientUrls.first();
            auto& mc = memberClients[url];
            if (!mc) {
                mc = std::make_shared<EtcdClient>(hostPortOf(url), memberOptions);
                mc->setCallGroup(calls);
            }
            if (auto st = mc->status()) {
                const ClusterMember base = m;
                m = *st;
                m.name = base.name;
                m.clientUrls = base.clientUrls;
                m.peerUrls = base.peerUrls;
                m.isLearner = base.isLearner;
                m.id = base.id;
                if (m.leader != 0)
                    info.leaderId = m.leader;
            } else {
                m.reachable = false;
                m.error = st.error().message;
                memberClients.remove(url); // fresh channel next time
                continue;
            }
            if (auto text = fetchEtcdMetrics(url, 1000)) {
                for (MetricPoint& p : parsePrometheusText(*text, wantedMetrics())) {
                    p.labels.insert(u"member"_s, m.name.isEmpty() ? hostPortOf(url) : m.name);
                    sample.points.push_back(std::move(p));
                }
            }
        }
        EventBatch b;
        b.push_back(std::move(info));
        if (!sample.points.empty())
            b.push_back(std::move(sample));
        emitBatch(std::move(b));
    }

    void runAux() {
        while (!stopping) {
            std::optional<RevisionRequest> request;
            {
                std::unique_lock lock(waitMutex);
                waitCv.wait_for(lock, std::chrono::milliseconds(options.leasePollMs),
                                [&] { return stopping.load() || !requests.empty(); });
                if (stopping)
                    break;
                if (!requests.empty()) {
                    request = requests.front();
                    requests.pop_front();
                }
            }
            if (request) {
                serveRevisionRequest(*request);
                continue;
            }
            refreshLeases();
            if (options.clusterPollMs > 0 && nowMs() - lastClusterPoll >= options.clusterPollMs) {
                lastClusterPoll = nowMs();
                pollCluster();
            }
        }
        auxClient.reset();
        memberClients.clear();
    }
};

EtcdConnector::EtcdConnector(EtcdOptions options, QObject* parent)
    : Connector(parent)
    , d(std::make_unique<Impl>())
    , m_controls(std::make_unique<Controls>(this)) {
    d->q = this;
    d->options = std::move(options);
    if (d->options.prefix.isEmpty()) {
        d->rangeKey = QByteArray(1, '\0');
        d->rangeEnd = QByteArray(1, '\0');
    } else {
        d->rangeKey = d->options.prefix;
        d->rangeEnd = prefixRangeEnd(d->options.prefix);
    }
    registerEtcdMetaTypes();
}

EtcdResult<std::unique_ptr<EtcdConnector>> EtcdConnector::fromUrl(const QString& url,
                                                                  QObject* parent) {
    auto options = parseEtcdUrl(url);
    if (!options)
        return std::unexpected(options.error());
    return std::make_unique<EtcdConnector>(std::move(*options), parent);
}

EtcdConnector::~EtcdConnector() {
    stop();
}

void EtcdConnector::start() {
    stop(); // a start while running restarts; a finished worker (snapshot canceled) is joined
    // stop() canceled the last run's calls for good: this run gets a new group and clients.
    d->calls = std::make_shared<EtcdCallGroup>();
    d->auxClient.reset();
    d->memberClients.clear();
    d->stopping = false;
    d->snapshotCanceled = false;
    d->mainThread = std::thread([this] { d->runMain(); });
    d->auxThread = std::thread([this] { d->runAux(); });
}

void EtcdConnector::stop() {
    {
        std::lock_guard lock(d->waitMutex);
        d->stopping = true;
    }
    d->waitCv.notify_all();
    {
        std::lock_guard lock(d->sharedMutex);
        if (d->currentWatch)
            d->currentWatch->cancel();
    }
    d->calls->cancelAll(); // unary calls in flight end now, not at their deadline
    if (d->mainThread.joinable())
        d->mainThread.join();
    if (d->auxThread.joinable())
        d->auxThread.join();
}

QString EtcdConnector::url() const {
    return toEtcdUrl(d->options);
}

const EtcdOptions& EtcdConnector::options() const {
    return d->options;
}

qint64 EtcdConnector::appliedRevision() const {
    return d->applied;
}

QString EtcdConnector::endpointInUse() const {
    std::lock_guard lock(d->sharedMutex);
    return d->endpointInUse;
}

SourceControls* EtcdConnector::controls() {
    return m_controls.get();
}

void EtcdConnector::cancelSnapshot() {
    d->snapshotCanceled = true;
}

void EtcdConnector::requestRevisionState(quint64 requestId, qint64 revision) {
    {
        std::lock_guard lock(d->waitMutex);
        if (d->requests.size() >= 8)
            d->requests.pop_front(); // the user moved on: drop the oldest question
        d->requests.push_back({requestId, revision});
    }
    d->waitCv.notify_all();
}

void registerEtcdMetaTypes() {
    qRegisterMetaType<regscope::LeaseInfo>();
    qRegisterMetaType<regscope::ClusterSample>();
    qRegisterMetaType<regscope::RevisionState>();
}

} // namespace regscope
