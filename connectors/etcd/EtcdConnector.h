#pragma once
// The etcd source: a paged snapshot of a key prefix, then a Watch that resumes from the last
// applied revision after any reconnect, failover across endpoints, resync after compaction,
// lease TTLs, cluster status and /metrics. All I/O runs on the connector's own threads.
//
// Public API is gRPC-free (pimpl). Signals are emitted from worker threads: connect them
// queued (AutoConnection does that for receivers on the GUI thread).

#include "connectors/Connector.h"
#include "connectors/etcd/EtcdOptions.h"
#include "models/etcd/EtcdTypes.h"

#include <QList>

#include <memory>

namespace regscope {

class EtcdConnector : public Connector {
    Q_OBJECT
public:
    explicit EtcdConnector(EtcdOptions options, QObject* parent = nullptr);
    // For `regscope --connect etcd://...`.
    static EtcdResult<std::unique_ptr<EtcdConnector>> fromUrl(const QString& url,
                                                              QObject* parent = nullptr);
    ~EtcdConnector() override; // stops and joins its threads

    void start() override;
    // Stops and joins (bounded by the call deadlines). A later start() resumes the watch from
    // the last applied revision + 1, as after any reconnect.
    void stop() override;
    QString url() const override;

    const EtcdOptions& options() const;
    // The last revision whose events have been emitted (thread-safe).
    qint64 appliedRevision() const;
    // "host:port" the watch currently runs through; empty when none.
    QString endpointInUse() const;

public Q_SLOTS:
    // Abandons a snapshot in progress; the connector stops and reports Down.
    void cancelSnapshot();
    // Time travel: reads the prefix as it was at `revision` (0: latest) off the GUI thread;
    // the answer comes as revisionStateReady with the same requestId.
    void requestRevisionState(quint64 requestId, qint64 revision);

Q_SIGNALS:
    void snapshotProgress(qint64 done, qint64 total);
    // Lease TTLs as fetched (batched; each lease re-asked at most every leaseRefreshMs).
    void leasesUpdated(QList<regscope::EtcdLeaseInfo> leases);
    void clusterUpdated(regscope::EtcdClusterInfo info);
    void revisionStateReady(regscope::EtcdRevisionState state);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

// Registers the etcd value types that cross threads (call once, with registerConnectorMetaTypes).
void registerEtcdMetaTypes();

} // namespace regscope
