#include "connectors/etcd/EtcdKeyStream.h"

#include "connectors/etcd/EtcdRangePager.h"
#include "connectors/etcd/EtcdServiceLayout.h"

#include <QScopeGuard>
#include <QSet>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

ProgressEvent progressEvent(qint64 done, qint64 total, bool finished) {
    return ProgressEvent{u"keys"_s, done, total, finished, !finished};
}

} // namespace

EtcdKeyStream::EtcdKeyStream(std::shared_ptr<EtcdConnectorShared> shared)
    : s(std::move(shared)) {}

void EtcdKeyStream::trackKey(const KeyRecord& kv, EventBatch& batch) {
    const auto old = m_keyLease.constFind(kv.key);
    const qint64 oldLease = old == m_keyLease.constEnd() ? 0 : *old;
    if (oldLease != kv.lease) {
        std::lock_guard lock(s->sharedMutex);
        if (oldLease != 0 && --s->leaseRefs[oldLease] <= 0)
            s->leaseRefs.erase(oldLease);
        if (kv.lease != 0)
            ++s->leaseRefs[kv.lease];
    }
    if (kv.lease != 0)
        m_keyLease.insert(kv.key, kv.lease);
    else if (oldLease != 0)
        m_keyLease.remove(kv.key);
    if (s->options.servicePrefix.isEmpty())
        return;
    if (auto inst = instanceFromKey(kv, s->options.servicePrefix)) {
        const QString id = recordId(*inst);
        const auto prevId = m_keyInstance.constFind(kv.key);
        if (prevId != m_keyInstance.constEnd() && *prevId != id)
            batch.push_back(RemoveEvent{RecordKind::Instance, *prevId, kv.modRevision});
        m_keyInstance.insert(kv.key, id);
        batch.push_back(UpsertEvent{std::move(*inst), kv.modRevision});
    }
}

void EtcdKeyStream::untrackKey(const QByteArray& key, qint64 revision, EventBatch& batch) {
    if (const auto it = m_keyLease.find(key); it != m_keyLease.end()) {
        std::lock_guard lock(s->sharedMutex);
        if (--s->leaseRefs[*it] <= 0)
            s->leaseRefs.erase(*it);
        m_keyLease.erase(it);
    }
    if (const auto it = m_keyInstance.find(key); it != m_keyInstance.end()) {
        batch.push_back(RemoveEvent{RecordKind::Instance, *it, revision});
        m_keyInstance.erase(it);
    }
}

// The first load, with a ProgressEvent after every page and a finished one at the end
// (whatever the outcome), so the panel's progress never hangs.
EtcdResult<void> EtcdKeyStream::snapshot(EtcdClient& client) {
    auto result = pagedSnapshot(client);
    EventBatch done;
    done.push_back(progressEvent(m_progressDone, m_progressTotal, true));
    s->emitBatch(std::move(done));
    return result;
}

// The first load of an empty store goes out page by page as upserts: rows appear while a big
// prefix loads and no second full copy is held. A page goes in batches of at most
// kKeysPerBatch keys (at most EtcdConnectorShared::kPagesInFlight unapplied), so a big page
// (few server passes) never means a big queue of events on the GUI thread.
void EtcdKeyStream::emitPage(std::vector<KeyRecord>& kvs, qint64 revision, qint64 done,
                             qint64 total) {
    constexpr size_t kKeysPerBatch = 20000; // the store applies a batch this big at once
    const qint64 pageStart = done - static_cast<qint64>(kvs.size());
    for (size_t first = 0; first < kvs.size() || first == 0; first += kKeysPerBatch) {
        const size_t last = std::min(kvs.size(), first + kKeysPerBatch);
        EventBatch batch;
        batch.reserve(last - first + 1);
        for (size_t i = first; i < last; ++i) {
            trackKey(kvs[i], batch);
            // The state at the snapshot's revision: watch events come after it.
            batch.push_back(UpsertEvent{std::move(kvs[i]), revision});
            kvs[i] = KeyRecord(); // its bytes now belong to the batch alone
        }
        if (last > first)
            m_everEmittedKeys = true;
        batch.push_back(progressEvent(pageStart + static_cast<qint64>(last), total, false));
        s->emitPage(std::move(batch));
        if (last >= kvs.size())
            break;
    }
}

// Any later load (resync, a retry after a partial first load) is one SnapshotEvent, which the
// store merges as targeted changes.
EtcdResult<void> EtcdKeyStream::pagedSnapshot(EtcdClient& client) {
    const EtcdPageInterrupt interrupted = [this]() -> std::optional<EtcdError> {
        if (s->stopping)
            return EtcdError{EtcdError::Code::Canceled, u"stopped"_s};
        if (s->snapshotCanceled)
            return EtcdError{EtcdError::Code::Canceled, u"snapshot canceled by the user"_s};
        return std::nullopt;
    };
    for (int attempt = 0; attempt < 3; ++attempt) {
        const bool stream = !m_everEmittedKeys;
        std::vector<Record> records;
        auto read = readPaged(client, {s->rangeKey, s->rangeEnd, 0}, s->options, interrupted,
                              [&](EtcdPage& page) {
                                  m_progressDone = page.done;
                                  m_progressTotal = page.total;
                                  if (stream) {
                                      emitPage(page.kvs, page.revision, page.done, page.total);
                                      return;
                                  }
                                  if (records.empty())
                                      records.reserve(static_cast<size_t>(page.total));
                                  for (auto& kv : page.kvs)
                                      records.emplace_back(std::move(kv));
                                  EventBatch progress;
                                  progress.push_back(progressEvent(page.done, page.total, false));
                                  s->emitBatch(std::move(progress));
                              });
        if (!read && read.error().code == EtcdError::Code::Compacted)
            continue; // compacted while we paged: start over at the latest
        if (!read)
            return std::unexpected(read.error());
        if (stream) {
            s->applied = *read;
            m_needSnapshot = false;
            m_resyncReason.clear();
        } else {
            applySnapshot(std::move(records), *read);
        }
        m_everEmittedKeys = true;
        return {};
    }
    return std::unexpected(EtcdError{EtcdError::Code::Compacted,
                                     u"the prefix kept being compacted while it was read"_s});
}

void EtcdKeyStream::applySnapshot(std::vector<Record>&& records, qint64 revision) {
    EventBatch batch;
    // Rebuild lease and instance bookkeeping; instances that vanished are removed.
    QHash<QByteArray, QString> oldInstances = std::move(m_keyInstance);
    m_keyInstance.clear();
    m_keyLease.clear();
    {
        std::lock_guard lock(s->sharedMutex);
        s->leaseRefs.clear();
    }
    EventBatch instanceEvents;
    for (const Record& r : records)
        trackKey(std::get<KeyRecord>(r), instanceEvents);
    QSet<QString> liveIds;
    for (const QString& id : std::as_const(m_keyInstance))
        liveIds.insert(id);
    for (const QString& id : std::as_const(oldInstances))
        if (!liveIds.contains(id))
            batch.push_back(RemoveEvent{RecordKind::Instance, id, revision});
    const auto count = records.size();
    batch.push_back(SnapshotEvent{RecordKind::Key, std::move(records), revision});
    for (auto& e : instanceEvents)
        batch.push_back(std::move(e));
    if (!m_resyncReason.isEmpty()) {
        s->timeline(batch, u"resync"_s,
                    m_resyncReason + u"; reloaded "_s + QString::number(count) +
                        u" keys at revision "_s + QString::number(revision));
        m_resyncReason.clear();
    }
    s->applied = revision;
    m_needSnapshot = false;
    s->emitBatch(std::move(batch));
}

void EtcdKeyStream::watchCreated(const EtcdClient& client) {
    EventBatch b;
    const qint64 from = s->applied + 1;
    if (m_wasLive && m_lastLiveEndpoint != client.endpoint())
        s->timeline(b, u"failover"_s,
                    u"moved from "_s + m_lastLiveEndpoint + u" to "_s + client.endpoint() +
                        u", resuming at revision "_s + QString::number(from));
    b.push_back(SourceHealth{HealthState::Live, u"watching etcd "_s + client.endpoint() +
                                                    u" from revision "_s + QString::number(from)});
    s->emitBatch(std::move(b));
    m_wasLive = true;
    m_lastLiveEndpoint = client.endpoint();
}

void EtcdKeyStream::applyWatchEvents(std::vector<EtcdWatchEvent>& events) {
    EventBatch batch;
    batch.reserve(events.size());
    qint64 last = s->applied;
    for (auto& ev : events) {
        const qint64 rev = ev.kv.modRevision;
        if (rev <= s->applied)
            continue; // already applied (never expected: we watch from applied + 1)
        if (ev.isDelete) {
            untrackKey(ev.kv.key, rev, batch);
            batch.push_back(RemoveEvent{RecordKind::Key, recordId(ev.kv), rev});
        } else {
            trackKey(ev.kv, batch);
            batch.push_back(UpsertEvent{std::move(ev.kv), rev});
        }
        last = std::max(last, rev);
    }
    s->applied = last;
    s->emitBatch(std::move(batch));
}

// Watches from applied + 1 until the stream ends; the error says why.
EtcdError EtcdKeyStream::watchLoop(EtcdClient& client) {
    EtcdWatchRequest wr;
    wr.key = s->rangeKey;
    wr.rangeEnd = s->rangeEnd;
    wr.startRevision = s->applied + 1;
    auto stream = client.watch(wr);
    if (!stream)
        return stream.error();
    {
        std::lock_guard lock(s->sharedMutex);
        s->currentWatch = stream->get();
    }
    auto clear = qScopeGuard([&] {
        std::lock_guard lock(s->sharedMutex);
        s->currentWatch = nullptr;
    });
    if (s->stopping)
        return EtcdError{EtcdError::Code::Canceled, u"stopped"_s};
    while (true) {
        auto resp = (*stream)->read();
        if (!resp)
            return resp.error();
        if (resp->canceled) {
            if (resp->compactRevision != 0)
                return EtcdError{EtcdError::Code::Compacted,
                                 u"watch from revision "_s + QString::number(s->applied + 1) +
                                     u" was compacted (compaction at revision "_s +
                                     QString::number(resp->compactRevision) + u')'};
            return EtcdError{EtcdError::Code::Unavailable, u"etcd "_s + client.endpoint() +
                                                               u" canceled the watch: "_s +
                                                               resp->cancelReason};
        }
        if (resp->created)
            watchCreated(client);
        else if (resp->events.empty()) // progress: every event up to headerRevision was sent
            s->applied = std::max(s->applied.load(), resp->headerRevision);
        else
            applyWatchEvents(resp->events);
    }
}

EtcdError EtcdKeyStream::runOnce(const QString& endpoint, int& failedInRound) {
    EtcdClient client(endpoint, s->options);
    client.setCallGroup(s->calls);
    if (auto c = client.connect(); !c) {
        m_refusedAtConnect = isPermanent(c.error().code); // bad credentials, auth not enabled
        return c.error();
    }
    m_refusedAtConnect = false;
    {
        std::lock_guard lock(s->sharedMutex);
        s->endpointInUse = endpoint;
    }
    auto clear = qScopeGuard([&] {
        std::lock_guard lock(s->sharedMutex);
        s->endpointInUse.clear();
    });
    if (m_needSnapshot)
        if (auto snap = snapshot(client); !snap)
            return snap.error();
    failedInRound = 0;
    return watchLoop(client);
}

bool EtcdKeyStream::afterFailure(const EtcdError& error, int& failedInRound) {
    const auto n = static_cast<int>(s->options.endpoints.size());
    if (s->stopping)
        return false;
    if (s->snapshotCanceled) {
        s->emitHealth(HealthState::Down, u"snapshot canceled by the user"_s);
        return false;
    }
    if (error.code == EtcdError::Code::Compacted) {
        // Never retry a compacted revision: read the latest state again.
        m_needSnapshot = true;
        m_resyncReason = error.message;
        s->emitHealth(HealthState::Degraded, u"resyncing: "_s + error.message);
        return true;
    }
    if (m_refusedAtConnect) { // retrying cannot help: say so and stop
        s->emitHealth(HealthState::Down, error.message);
        return false;
    }
    ++failedInRound;
    m_endpointIndex = (m_endpointIndex + 1) % n;
    if (failedInRound < n) {
        s->emitHealth(m_wasLive ? HealthState::Degraded : HealthState::Connecting,
                      error.message + u"; trying "_s + s->options.endpoints.at(m_endpointIndex));
        return true;
    }
    failedInRound = 0;
    const QString secs = QString::number(s->options.retryBackoffMs / 1000.0, 'g', 3);
    s->emitHealth(HealthState::Down, error.message + u"; retrying in "_s + secs + u" s"_s);
    return s->waitFor(s->options.retryBackoffMs);
}

void EtcdKeyStream::run() {
    const auto n = static_cast<int>(s->options.endpoints.size());
    int failedInRound = 0;
    s->emitHealth(HealthState::Connecting,
                  u"connecting to etcd "_s + s->options.endpoints.join(u", "_s));
    while (!s->stopping) {
        const EtcdError error =
            runOnce(s->options.endpoints.at(m_endpointIndex % n), failedInRound);
        if (!afterFailure(error, failedInRound))
            break;
    }
}

} // namespace regscope
