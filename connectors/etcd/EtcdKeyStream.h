#pragma once
// Private to the etcd connector: the key stream. A paged snapshot of the prefix, then a Watch
// from the last applied revision + 1; failover across endpoints; a resync after compaction.
// Runs on the connector's key thread; its state survives stop/start so a restart resumes.

#include "connectors/etcd/EtcdConnectorShared.h"

#include <QHash>

namespace regscope {

class EtcdKeyStream {
public:
    explicit EtcdKeyStream(std::shared_ptr<EtcdConnectorShared> shared);

    // Until stopping, a canceled snapshot, or for good.
    void run();
    // Key events went out: every later load is a full snapshot merged by the store.
    bool emittedKeys() const { return m_everEmittedKeys; }
    // A stream that replaces one stop() gave up on: the store already holds keys.
    void assumeKeysEmitted() { m_everEmittedKeys = true; }

private:
    EtcdResult<void> snapshot(EtcdClient& client);
    EtcdResult<void> pagedSnapshot(EtcdClient& client);
    void emitPage(std::vector<KeyRecord>& kvs, qint64 revision, qint64 done, qint64 total);
    void applySnapshot(std::vector<Record>&& records, qint64 revision);
    EtcdError watchLoop(EtcdClient& client);
    void watchCreated(const EtcdClient& client);
    void applyWatchEvents(std::vector<EtcdWatchEvent>& events);
    // One endpoint: connect, snapshot when needed, watch; why it ended.
    EtcdError runOnce(const QString& endpoint, int& failedInRound);
    // After an endpoint failed: false when the stream should end.
    bool afterFailure(const EtcdError& error, int& failedInRound);
    void trackKey(const KeyRecord& kv, EventBatch& batch);
    void untrackKey(const QByteArray& key, qint64 revision, EventBatch& batch);

    std::shared_ptr<EtcdConnectorShared> s;
    bool m_needSnapshot = true;
    std::atomic<bool> m_everEmittedKeys{false};
    QString m_resyncReason;
    int m_endpointIndex = 0;
    bool m_wasLive = false;
    bool m_refusedAtConnect = false; // the last connect failed for good (isPermanent)
    QString m_lastLiveEndpoint;
    QHash<QByteArray, qint64> m_keyLease;     // only keys that have a lease
    QHash<QByteArray, QString> m_keyInstance; // service-layout keys -> instance id
    qint64 m_progressDone = 0;
    qint64 m_progressTotal = 0;
};

} // namespace regscope
