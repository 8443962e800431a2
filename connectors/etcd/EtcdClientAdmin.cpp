// EtcdClient: leases, cluster members and status, the compaction floor.
#include "connectors/etcd/EtcdClient.h"
#include "connectors/etcd/EtcdClientImpl.h"

#include <QDateTime>

using namespace Qt::StringLiterals;

namespace regscope {

EtcdResult<EtcdClient::Lease> EtcdClient::leaseGrant(qint64 ttlSeconds) {
    etcdserverpb::LeaseGrantRequest req;
    req.set_ttl(ttlSeconds);
    etcdserverpb::LeaseGrantResponse resp;
    const grpc::Status st =
        d->unary([&](grpc::ClientContext& ctx) { return d->lease->LeaseGrant(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    if (!resp.error().empty())
        return std::unexpected(
            EtcdError{EtcdError::Code::Internal, u"etcd "_s + d->endpoint + u": lease grant: "_s +
                                                     QString::fromStdString(resp.error())});
    return Lease{resp.id(), resp.ttl()};
}

EtcdResult<void> EtcdClient::leaseRevoke(qint64 id) {
    etcdserverpb::LeaseRevokeRequest req;
    req.set_id(id);
    etcdserverpb::LeaseRevokeResponse resp;
    const grpc::Status st =
        d->unary([&](grpc::ClientContext& ctx) { return d->lease->LeaseRevoke(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    return {};
}

EtcdResult<LeaseInfo> EtcdClient::leaseTimeToLive(qint64 id, bool withKeys) {
    etcdserverpb::LeaseTimeToLiveRequest req;
    req.set_id(id);
    req.set_keys(withKeys);
    etcdserverpb::LeaseTimeToLiveResponse resp;
    const grpc::Status st = d->unary(
        [&](grpc::ClientContext& ctx) { return d->lease->LeaseTimeToLive(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    LeaseInfo info;
    info.id = id;
    info.ttl = resp.ttl();
    info.grantedTtl = resp.grantedttl();
    info.fetchedAtMs = QDateTime::currentMSecsSinceEpoch();
    for (const auto& k : resp.keys())
        info.keys.append(toBytes(k));
    return info;
}

EtcdResult<std::vector<qint64>> EtcdClient::leaseList() {
    etcdserverpb::LeaseLeasesRequest req;
    etcdserverpb::LeaseLeasesResponse resp;
    const grpc::Status st =
        d->unary([&](grpc::ClientContext& ctx) { return d->lease->LeaseLeases(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    std::vector<qint64> ids;
    for (const auto& l : resp.leases())
        ids.push_back(l.id());
    return ids;
}

EtcdResult<ClusterMember> EtcdClient::status() {
    etcdserverpb::StatusRequest req;
    etcdserverpb::StatusResponse resp;
    const grpc::Status st = d->unary(
        [&](grpc::ClientContext& ctx) { return d->maintenance->Status(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    ClusterMember s;
    s.id = resp.header().member_id();
    s.reachable = true;
    s.version = QString::fromStdString(resp.version());
    s.dbSize = resp.dbsize();
    s.dbSizeInUse = resp.dbsizeinuse();
    s.leader = resp.leader();
    s.raftIndex = resp.raftindex();
    s.raftAppliedIndex = resp.raftappliedindex();
    s.raftTerm = resp.raftterm();
    QStringList errors;
    for (const auto& e : resp.errors())
        errors.append(QString::fromStdString(e));
    s.error = errors.join(u"; "_s);
    return s;
}

EtcdResult<ClusterSample> EtcdClient::memberList() {
    etcdserverpb::MemberListRequest req;
    etcdserverpb::MemberListResponse resp;
    const grpc::Status st = d->unary(
        [&](grpc::ClientContext& ctx) { return d->cluster->MemberList(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    ClusterSample info;
    info.clusterId = resp.header().cluster_id();
    for (const auto& m : resp.members()) {
        ClusterMember s;
        s.id = m.id();
        s.name = QString::fromStdString(m.name());
        for (const auto& u : m.clienturls())
            s.clientUrls.append(QString::fromStdString(u));
        for (const auto& u : m.peerurls())
            s.peerUrls.append(QString::fromStdString(u));
        s.isLearner = m.islearner();
        info.members.push_back(std::move(s));
    }
    return info;
}

EtcdResult<qint64> EtcdClient::compactFloor(qint64 currentRevision) {
    auto readable = [&](qint64 rev) -> EtcdResult<bool> {
        EtcdRangeRequest r;
        r.key = QByteArray(1, '\0');
        r.revision = rev;
        r.countOnly = true;
        auto page = range(r);
        if (page)
            return true;
        if (page.error().code == EtcdError::Code::Compacted)
            return false;
        return std::unexpected(page.error());
    };
    auto first = readable(1);
    if (!first)
        return std::unexpected(first.error());
    if (*first)
        return 1;
    qint64 lo = 1, hi = std::max<qint64>(1, currentRevision); // lo unreadable, hi readable
    while (hi - lo > 1) {
        const qint64 mid = lo + (hi - lo) / 2;
        auto ok = readable(mid);
        if (!ok)
            return std::unexpected(ok.error());
        (*ok ? hi : lo) = mid;
    }
    return hi;
}

} // namespace regscope
