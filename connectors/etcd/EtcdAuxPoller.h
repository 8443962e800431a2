#pragma once
// Private to the etcd connector: the auxiliary poller. Lease TTLs (one call per lease, oldest
// first, bounded per tick), cluster members + status + /metrics, and time-travel reads, on
// the connector's aux thread with a client of its own (preferring the key stream's endpoint).

#include "connectors/etcd/EtcdConnectorShared.h"

#include <QHash>

namespace regscope {

class EtcdAuxPoller {
public:
    explicit EtcdAuxPoller(std::shared_ptr<EtcdConnectorShared> shared);

    void run(); // until stopping

private:
    EtcdClient* ensureClient();
    template <typename T>
    void noteError(const EtcdResult<T>& r);
    void serveRevisionRequest(const EtcdRevisionRequest& request);
    void fillRevisionBounds(RevisionState& state);
    void refreshLeases();
    void pollCluster();
    void pollMember(ClusterMember& member, ClusterSample& info, MetricsSample& sample);

    std::shared_ptr<EtcdConnectorShared> s;
    std::unique_ptr<EtcdClient> m_client;
    QHash<qint64, qint64> m_leaseFetchedAt;
    qint64 m_lastClusterPoll = 0;
    QHash<QString, std::shared_ptr<EtcdClient>> m_memberClients;
};

} // namespace regscope
