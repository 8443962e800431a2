#pragma once
// The etcd source: a paged snapshot of a key prefix, then a Watch that resumes from the last
// applied revision after any reconnect, failover across endpoints, resync after compaction,
// lease TTLs, cluster status and /metrics. All I/O runs on the connector's own threads.
//
// Public API is gRPC-free (pimpl). Everything it learns leaves as SourceEvents; requests come
// in through controls().

#include "connectors/Connector.h"
#include "connectors/etcd/EtcdOptions.h"
#include "models/SourceControls.h"
#include "models/SourceEvent.h"

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
    // Ends the calls in flight and joins its threads, waiting at most kStopMs for them (a
    // worker that outlives that is left to finish alone and never touches this object again).
    // A later start() resumes the watch from the last applied revision + 1.
    void stop() override;
    static constexpr int kStopMs = kConnectorStopDeadlineMs - 500; // within the contract
    QString url() const override;

    const EtcdOptions& options() const;
    // The last revision whose events have been emitted (thread-safe).
    qint64 appliedRevision() const;
    // "host:port" the watch currently runs through; empty when none.
    QString endpointInUse() const;

    // Cancel the first load, time travel. Everything else (progress, leases, cluster samples)
    // goes out as SourceEvents through eventsReady.
    SourceControls* controls() override;

    // Abandons a snapshot in progress; the connector stops and reports Down.
    void cancelSnapshot();
    // Ends a reconnect backoff wait at once (the next endpoint is tried now).
    void retryNow();
    // Time travel: reads the prefix as it was at `revision` (0: latest) off the GUI thread;
    // the answer comes as controls()->revisionStateReady with the same requestId.
    void requestRevisionState(quint64 requestId, qint64 revision);

private:
    class Controls;
    struct Impl;
    std::unique_ptr<Impl> d;
    std::unique_ptr<Controls> m_controls;
};

// Registers the etcd value types that cross threads (call once, with registerConnectorMetaTypes).
void registerEtcdMetaTypes();

} // namespace regscope
