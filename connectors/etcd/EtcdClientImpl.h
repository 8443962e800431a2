#pragma once
// Private to EtcdClient*.cpp: the gRPC side of the client (its Impl, the call group's in-flight
// set, conversions, the status-to-error mapping). Includes gRPC: never include it elsewhere.

#include "connectors/etcd/EtcdClient.h"
#include "rpc.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_set>

namespace regscope {

inline std::string toStd(const QByteArray& bytes) {
    return std::string(bytes.constData(), static_cast<size_t>(bytes.size()));
}

inline QByteArray toBytes(const std::string& s) {
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

inline KeyRecord toRecord(const mvccpb::KeyValue& kv) {
    KeyRecord r;
    r.key = toBytes(kv.key());
    r.value = toBytes(kv.value());
    r.createRevision = kv.create_revision();
    r.modRevision = kv.mod_revision();
    r.version = kv.version();
    r.lease = kv.lease();
    return r;
}

inline std::chrono::system_clock::time_point deadlineIn(int ms) {
    return std::chrono::system_clock::now() + std::chrono::milliseconds(ms);
}

// Turns a gRPC status into an error the connector can branch on, with words a user reads.
EtcdError toError(const QString& endpoint, const grpc::Status& status);
// Why a channel did not become ready within the connect timeout: refused, silent, not gRPC...
// (a short raw probe of the endpoint; bounded, and ends early when the group is canceled).
EtcdError diagnoseConnectFailure(const QString& endpoint, const EtcdOptions& options,
                                 grpc_connectivity_state state, const EtcdCallGroup* group);
EtcdResult<std::string> readPem(const QString& path, const char* what);

struct EtcdCallGroup::Impl {
    mutable std::mutex mutex;
    bool canceled = false;
    std::unordered_set<grpc::ClientContext*> inFlight;
};

// A call's membership in its group for as long as it runs; refused once the group is canceled.
class GroupedCall {
public:
    GroupedCall(EtcdCallGroup::Impl* group, grpc::ClientContext* ctx)
        : m_group(group)
        , m_ctx(ctx) {
        if (!m_group)
            return;
        std::lock_guard lock(m_group->mutex);
        m_admitted = !m_group->canceled;
        if (m_admitted)
            m_group->inFlight.insert(m_ctx);
    }
    ~GroupedCall() {
        if (!m_group || !m_admitted)
            return;
        std::lock_guard lock(m_group->mutex);
        m_group->inFlight.erase(m_ctx);
    }
    GroupedCall(const GroupedCall&) = delete;
    GroupedCall& operator=(const GroupedCall&) = delete;
    bool admitted() const { return m_admitted; }

private:
    EtcdCallGroup::Impl* m_group;
    grpc::ClientContext* m_ctx;
    bool m_admitted = true;
};

inline grpc::Status stoppingStatus() {
    return grpc::Status(grpc::StatusCode::CANCELLED, "the connector is stopping");
}

struct EtcdClient::Impl {
    QString endpoint;
    EtcdOptions options;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Watch::Stub> watch;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
    std::unique_ptr<etcdserverpb::Cluster::Stub> cluster;
    std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
    std::unique_ptr<etcdserverpb::Auth::Stub> auth;
    std::mutex tokenMutex;
    std::string token;
    EtcdError channelError; // set when TLS files could not be read
    std::shared_ptr<EtcdCallGroup> group;

    EtcdCallGroup::Impl* groupImpl() const { return group ? group->d.get() : nullptr; }

    void prepare(grpc::ClientContext& ctx, int timeoutMs) {
        if (timeoutMs > 0)
            ctx.set_deadline(deadlineIn(timeoutMs));
        std::lock_guard lock(tokenMutex);
        if (!token.empty())
            ctx.AddMetadata("token", token);
    }

    EtcdResult<void> authenticate() {
        if (options.user.isEmpty())
            return {};
        etcdserverpb::AuthenticateRequest req;
        req.set_name(options.user.toStdString());
        req.set_password(options.password.toStdString());
        etcdserverpb::AuthenticateResponse resp;
        grpc::ClientContext ctx;
        ctx.set_deadline(deadlineIn(options.callTimeoutMs));
        const GroupedCall grouped(groupImpl(), &ctx);
        const grpc::Status st =
            grouped.admitted() ? auth->Authenticate(&ctx, req, &resp) : stoppingStatus();
        if (!st.ok())
            return std::unexpected(toError(endpoint, st));
        std::lock_guard lock(tokenMutex);
        token = resp.token();
        return {};
    }

    // Runs a unary call; on an expired/invalid token re-authenticates once and retries.
    template <typename Call>
    grpc::Status unary(Call&& call, int timeoutMs = -1) {
        const int ms = timeoutMs < 0 ? options.callTimeoutMs : timeoutMs;
        grpc::Status st;
        for (int attempt = 0; attempt < 2; ++attempt) {
            grpc::ClientContext ctx;
            prepare(ctx, ms);
            const GroupedCall grouped(groupImpl(), &ctx);
            st = grouped.admitted() ? call(ctx) : stoppingStatus();
            if (st.ok() || options.user.isEmpty() || attempt > 0)
                break;
            const EtcdError e = toError(endpoint, st);
            if (e.code != EtcdError::Code::Unauthenticated || !authenticate())
                break;
        }
        return st;
    }
};

} // namespace regscope
