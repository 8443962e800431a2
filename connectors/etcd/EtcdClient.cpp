#include "connectors/etcd/EtcdClient.h"

#include "rpc.grpc.pb.h"

#include <QDateTime>
#include <QFile>

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_set>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

std::string toStd(const QByteArray& bytes) {
    return std::string(bytes.constData(), static_cast<size_t>(bytes.size()));
}

QByteArray toBytes(const std::string& s) {
    return QByteArray(s.data(), static_cast<qsizetype>(s.size()));
}

KeyRecord toRecord(const mvccpb::KeyValue& kv) {
    KeyRecord r;
    r.key = toBytes(kv.key());
    r.value = toBytes(kv.value());
    r.createRevision = kv.create_revision();
    r.modRevision = kv.mod_revision();
    r.version = kv.version();
    r.lease = kv.lease();
    return r;
}

std::chrono::system_clock::time_point deadlineIn(int ms) {
    return std::chrono::system_clock::now() + std::chrono::milliseconds(ms);
}

// Turns a gRPC status into an error the connector can branch on, with words a user reads.
EtcdError toError(const QString& endpoint, const grpc::Status& status) {
    const QString msg = QString::fromStdString(status.error_message());
    const QString lower = msg.toLower();
    EtcdError e;
    switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
        if (lower.contains(u"no leader")) {
            e.code = EtcdError::Code::NoLeader;
            e.message = u"etcd "_s + endpoint + u" has no leader"_s;
        } else {
            e.code = EtcdError::Code::Unavailable;
            QString why = u"unavailable"_s;
            if (lower.contains(u"connection refused"))
                why = u"connection refused"_s;
            else if (lower.contains(u"connection reset"))
                why = u"connection reset"_s;
            else if (lower.contains(u"socket closed") || lower.contains(u"goaway"))
                why = u"connection closed"_s;
            else if (!msg.isEmpty())
                why = msg;
            e.message = u"etcd "_s + endpoint + u" unreachable: "_s + why;
        }
        return e;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
        e.code = EtcdError::Code::DeadlineExceeded;
        e.message = u"etcd "_s + endpoint + u" did not answer in time"_s;
        return e;
    case grpc::StatusCode::OUT_OF_RANGE:
        e.code = lower.contains(u"compacted") ? EtcdError::Code::Compacted
                                              : EtcdError::Code::FutureRevision;
        break;
    case grpc::StatusCode::UNAUTHENTICATED:
        e.code = EtcdError::Code::Unauthenticated;
        break;
    case grpc::StatusCode::PERMISSION_DENIED:
        e.code = EtcdError::Code::PermissionDenied;
        break;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
        e.code = lower.contains(u"token") ? EtcdError::Code::Unauthenticated
                                          : EtcdError::Code::InvalidArgument;
        break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
        e.code = EtcdError::Code::TooLarge;
        break;
    case grpc::StatusCode::CANCELLED:
        e.code = EtcdError::Code::Canceled;
        break;
    case grpc::StatusCode::NOT_FOUND:
        e.code =
            lower.contains(u"lease") ? EtcdError::Code::LeaseNotFound : EtcdError::Code::Internal;
        break;
    default:
        e.code = EtcdError::Code::Internal;
        break;
    }
    e.message = u"etcd "_s + endpoint + u": "_s + msg;
    return e;
}

EtcdResult<std::string> readPem(const QString& path, const char* what) {
    if (path.isEmpty())
        return std::string();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return std::unexpected(EtcdError{EtcdError::Code::InvalidArgument,
                                         u"cannot read "_s + QLatin1StringView(what) + u' ' + path +
                                             u": "_s + f.errorString()});
    return toStd(f.readAll());
}

} // namespace

// ---------------------------------------------------------------------------------------------

struct EtcdCallGroup::Impl {
    mutable std::mutex mutex;
    bool canceled = false;
    std::unordered_set<grpc::ClientContext*> inFlight;
};

EtcdCallGroup::EtcdCallGroup()
    : d(std::make_unique<Impl>()) {}

EtcdCallGroup::~EtcdCallGroup() = default;

void EtcdCallGroup::cancelAll() {
    std::lock_guard lock(d->mutex);
    d->canceled = true;
    for (grpc::ClientContext* ctx : d->inFlight)
        ctx->TryCancel();
}

bool EtcdCallGroup::canceled() const {
    std::lock_guard lock(d->mutex);
    return d->canceled;
}

namespace {
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

const grpc::Status kStopping(grpc::StatusCode::CANCELLED, "the connector is stopping");
} // namespace

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
            grouped.admitted() ? auth->Authenticate(&ctx, req, &resp) : kStopping;
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
            st = grouped.admitted() ? call(ctx) : kStopping;
            if (st.ok() || options.user.isEmpty() || attempt > 0)
                break;
            const EtcdError e = toError(endpoint, st);
            if (e.code != EtcdError::Code::Unauthenticated || !authenticate())
                break;
        }
        return st;
    }
};

EtcdClient::EtcdClient(const QString& endpoint, const EtcdOptions& options)
    : d(std::make_unique<Impl>()) {
    d->endpoint = endpoint;
    d->options = options;
    grpc::ChannelArguments args;
    // A fresh subchannel per client: a shared one may sit in a long reconnect backoff.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // A member that vanishes without closing the socket is noticed within ~15 s.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    args.SetMaxReceiveMessageSize(std::max(1024 * 1024, options.maxReplyBytes));
    std::shared_ptr<grpc::ChannelCredentials> creds;
    if (options.tls.enabled) {
        grpc::SslCredentialsOptions ssl;
        auto ca = readPem(options.tls.caFile, "CA file");
        auto cert = readPem(options.tls.clientCertFile, "client certificate");
        auto key = readPem(options.tls.clientKeyFile, "client key");
        if (!ca || !cert || !key)
            d->channelError = !ca ? ca.error() : !cert ? cert.error() : key.error();
        ssl.pem_root_certs = ca.value_or(std::string());
        ssl.pem_cert_chain = cert.value_or(std::string());
        ssl.pem_private_key = key.value_or(std::string());
        creds = grpc::SslCredentials(ssl);
        if (!options.tls.serverName.isEmpty())
            args.SetSslTargetNameOverride(options.tls.serverName.toStdString());
    } else {
        creds = grpc::InsecureChannelCredentials();
    }
    d->channel = grpc::CreateCustomChannel(endpoint.toStdString(), creds, args);
    d->kv = etcdserverpb::KV::NewStub(d->channel);
    d->watch = etcdserverpb::Watch::NewStub(d->channel);
    d->lease = etcdserverpb::Lease::NewStub(d->channel);
    d->cluster = etcdserverpb::Cluster::NewStub(d->channel);
    d->maintenance = etcdserverpb::Maintenance::NewStub(d->channel);
    d->auth = etcdserverpb::Auth::NewStub(d->channel);
}

EtcdClient::~EtcdClient() = default;

QString EtcdClient::endpoint() const {
    return d->endpoint;
}

void EtcdClient::setCallTimeoutMs(int ms) {
    d->options.callTimeoutMs = std::max(1, ms);
}

void EtcdClient::setCallGroup(std::shared_ptr<EtcdCallGroup> group) {
    d->group = std::move(group);
}

EtcdResult<void> EtcdClient::connect() {
    if (!d->channelError.message.isEmpty())
        return std::unexpected(d->channelError);
    // In slices, so that a canceled group does not wait out the connect timeout.
    const auto deadline = deadlineIn(d->options.connectTimeoutMs);
    bool connected = false;
    while (!connected && std::chrono::system_clock::now() < deadline) {
        if (d->group && d->group->canceled())
            return std::unexpected(EtcdError{EtcdError::Code::Canceled, u"stopping"_s});
        connected = d->channel->WaitForConnected(
            std::min(deadline, std::chrono::system_clock::now() + std::chrono::milliseconds(100)));
    }
    if (!connected) {
        const auto state = d->channel->GetState(false);
        QString why =
            state == GRPC_CHANNEL_TRANSIENT_FAILURE ? u"connection refused"_s : u"no answer"_s;
        if (d->options.tls.enabled && state == GRPC_CHANNEL_TRANSIENT_FAILURE)
            why = u"connection refused or TLS handshake failed"_s;
        return std::unexpected(EtcdError{EtcdError::Code::Unavailable,
                                         u"etcd "_s + d->endpoint + u" unreachable: "_s + why});
    }
    return d->authenticate();
}

EtcdResult<EtcdRangePage> EtcdClient::range(const EtcdRangeRequest& request) {
    etcdserverpb::RangeRequest req;
    req.set_key(toStd(request.key));
    if (!request.rangeEnd.isEmpty())
        req.set_range_end(toStd(request.rangeEnd));
    req.set_revision(request.revision);
    req.set_limit(request.limit);
    req.set_keys_only(request.keysOnly);
    req.set_count_only(request.countOnly);
    etcdserverpb::RangeResponse resp;
    const grpc::Status st =
        d->unary([&](grpc::ClientContext& ctx) { return d->kv->Range(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    EtcdRangePage page;
    page.revision = resp.header().revision();
    page.count = resp.count();
    page.more = resp.more();
    page.kvs.reserve(static_cast<size_t>(resp.kvs_size()));
    for (const auto& kv : resp.kvs())
        page.kvs.push_back(toRecord(kv));
    return page;
}

EtcdResult<qint64> EtcdClient::put(const QByteArray& key, const QByteArray& value, qint64 lease) {
    etcdserverpb::PutRequest req;
    req.set_key(toStd(key));
    req.set_value(toStd(value));
    req.set_lease(lease);
    etcdserverpb::PutResponse resp;
    const grpc::Status st =
        d->unary([&](grpc::ClientContext& ctx) { return d->kv->Put(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    return resp.header().revision();
}

EtcdResult<qint64> EtcdClient::deleteRange(const QByteArray& key, const QByteArray& rangeEnd) {
    etcdserverpb::DeleteRangeRequest req;
    req.set_key(toStd(key));
    if (!rangeEnd.isEmpty())
        req.set_range_end(toStd(rangeEnd));
    etcdserverpb::DeleteRangeResponse resp;
    const grpc::Status st =
        d->unary([&](grpc::ClientContext& ctx) { return d->kv->DeleteRange(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    return resp.header().revision();
}

EtcdResult<qint64> EtcdClient::compact(qint64 revision, bool physical) {
    etcdserverpb::CompactionRequest req;
    req.set_revision(revision);
    req.set_physical(physical);
    etcdserverpb::CompactionResponse resp;
    const grpc::Status st =
        d->unary([&](grpc::ClientContext& ctx) { return d->kv->Compact(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    return resp.header().revision();
}

EtcdResult<EtcdGuardedOutcome> EtcdClient::guardedWrite(const EtcdGuardedWrite& write) {
    etcdserverpb::TxnRequest req;
    auto* cmp = req.add_compare();
    cmp->set_target(etcdserverpb::Compare::MOD);
    cmp->set_result(write.guard == EtcdGuardedWrite::Guard::ModEquals
                        ? etcdserverpb::Compare::EQUAL
                        : etcdserverpb::Compare::LESS);
    cmp->set_mod_revision(write.modRevision);
    cmp->set_key(toStd(write.key));
    const QByteArray guardEnd =
        write.op == EtcdGuardedWrite::Op::Delete ? write.rangeEnd : QByteArray();
    if (!guardEnd.isEmpty())
        cmp->set_range_end(toStd(guardEnd));
    if (write.op == EtcdGuardedWrite::Op::Put) {
        auto* put = req.add_success()->mutable_request_put();
        put->set_key(toStd(write.key));
        put->set_value(toStd(write.value));
        put->set_lease(write.lease);
    } else {
        auto* del = req.add_success()->mutable_request_delete_range();
        del->set_key(toStd(write.key));
        if (!write.rangeEnd.isEmpty())
            del->set_range_end(toStd(write.rangeEnd));
    }
    auto* back = req.add_failure()->mutable_request_range();
    back->set_key(toStd(write.key));
    if (!guardEnd.isEmpty())
        back->set_range_end(toStd(guardEnd));
    back->set_limit(std::max<qint64>(1, write.readBackLimit));
    back->set_min_mod_revision(write.readBackMinModRevision);
    etcdserverpb::TxnResponse resp;
    const grpc::Status st =
        d->unary([&](grpc::ClientContext& ctx) { return d->kv->Txn(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    EtcdGuardedOutcome out;
    out.succeeded = resp.succeeded();
    out.revision = resp.header().revision();
    for (const auto& r : resp.responses()) {
        if (r.has_response_delete_range())
            out.deleted = r.response_delete_range().deleted();
        if (r.has_response_range()) {
            out.foundCount = r.response_range().count();
            for (const auto& kv : r.response_range().kvs())
                out.found.push_back(toRecord(kv));
        }
    }
    return out;
}

EtcdResult<qint64> EtcdClient::putMany(const std::vector<std::pair<QByteArray, QByteArray>>& kvs,
                                       int inFlight) {
    constexpr size_t kBatch = 128; // etcd's default --max-txn-ops
    struct Slot {
        grpc::ClientContext ctx;
        etcdserverpb::TxnResponse resp;
        grpc::Status status;
        std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::TxnResponse>> reader;
    };
    grpc::CompletionQueue cq;
    std::vector<std::unique_ptr<Slot>> inflight(static_cast<size_t>(std::max(1, inFlight)));
    size_t next = 0;
    int outstanding = 0;
    qint64 lastRevision = 0;
    EtcdResult<qint64> failure; // holds a value until the first failed batch
    auto launch = [&](size_t slotIndex) {
        if (next >= kvs.size())
            return false;
        auto slot = std::make_unique<Slot>();
        d->prepare(slot->ctx, d->options.callTimeoutMs * 4);
        etcdserverpb::TxnRequest req;
        const size_t end = std::min(kvs.size(), next + kBatch);
        for (; next < end; ++next) {
            auto* put = req.add_success()->mutable_request_put();
            put->set_key(toStd(kvs[next].first));
            put->set_value(toStd(kvs[next].second));
        }
        slot->reader = d->kv->AsyncTxn(&slot->ctx, req, &cq);
        slot->reader->Finish(&slot->resp, &slot->status, reinterpret_cast<void*>(slotIndex));
        inflight[slotIndex] = std::move(slot);
        ++outstanding;
        return true;
    };
    for (size_t i = 0; i < inflight.size(); ++i)
        launch(i);
    void* tag = nullptr;
    bool ok = false;
    while (outstanding > 0 && cq.Next(&tag, &ok)) {
        --outstanding;
        const auto index = reinterpret_cast<size_t>(tag);
        Slot& slot = *inflight[index];
        if (!ok || !slot.status.ok()) {
            if (failure)
                failure = std::unexpected(toError(d->endpoint, slot.status));
            continue;
        }
        lastRevision = std::max<qint64>(lastRevision, slot.resp.header().revision());
        if (failure)
            launch(index);
    }
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    if (!failure)
        return failure;
    return lastRevision;
}

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

// --- Watch ------------------------------------------------------------------------------------

struct EtcdWatchStream::Impl {
    QString endpoint;
    grpc::ClientContext ctx;
    std::unique_ptr<
        grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
        stream;
    bool finished = false;
};

EtcdWatchStream::EtcdWatchStream(std::unique_ptr<Impl> impl)
    : d(std::move(impl)) {}

EtcdWatchStream::~EtcdWatchStream() {
    if (!d->finished) {
        d->ctx.TryCancel();
        etcdserverpb::WatchResponse resp;
        while (d->stream->Read(&resp)) {
        }
        d->stream->Finish();
    }
}

void EtcdWatchStream::cancel() {
    d->ctx.TryCancel();
}

EtcdResult<EtcdWatchResponse> EtcdWatchStream::read() {
    if (d->finished)
        return std::unexpected(EtcdError{EtcdError::Code::Canceled, u"watch stream closed"_s});
    etcdserverpb::WatchResponse resp;
    if (!d->stream->Read(&resp)) {
        d->finished = true;
        const grpc::Status st = d->stream->Finish();
        if (st.ok())
            return std::unexpected(
                EtcdError{EtcdError::Code::Unavailable,
                          u"etcd "_s + d->endpoint + u" closed the watch stream"_s});
        return std::unexpected(toError(d->endpoint, st));
    }
    EtcdWatchResponse out;
    out.headerRevision = resp.header().revision();
    out.watchId = resp.watch_id();
    out.created = resp.created();
    out.canceled = resp.canceled();
    out.compactRevision = resp.compact_revision();
    out.cancelReason = QString::fromStdString(resp.cancel_reason());
    out.events.reserve(static_cast<size_t>(resp.events_size()));
    for (const auto& ev : resp.events()) {
        EtcdWatchEvent e;
        e.isDelete = ev.type() == mvccpb::Event::DELETE;
        e.kv = toRecord(ev.kv());
        if (ev.has_prev_kv())
            e.prevKv = toRecord(ev.prev_kv());
        out.events.push_back(std::move(e));
    }
    return out;
}

EtcdResult<std::unique_ptr<EtcdWatchStream>> EtcdClient::watch(const EtcdWatchRequest& request) {
    auto impl = std::make_unique<EtcdWatchStream::Impl>();
    impl->endpoint = d->endpoint;
    d->prepare(impl->ctx, 0);
    // Without it a partitioned member keeps the stream open and silent.
    impl->ctx.AddMetadata("hasleader", "true");
    impl->stream = d->watch->Watch(&impl->ctx);
    etcdserverpb::WatchRequest req;
    auto* create = req.mutable_create_request();
    create->set_key(toStd(request.key));
    if (!request.rangeEnd.isEmpty())
        create->set_range_end(toStd(request.rangeEnd));
    create->set_start_revision(request.startRevision);
    create->set_prev_kv(request.prevKv);
    create->set_progress_notify(request.progressNotify);
    if (!impl->stream->Write(req)) {
        impl->finished = true;
        const grpc::Status st = impl->stream->Finish();
        return std::unexpected(st.ok()
                                   ? EtcdError{EtcdError::Code::Unavailable,
                                               u"etcd "_s + d->endpoint + u" refused the watch"_s}
                                   : toError(d->endpoint, st));
    }
    return std::unique_ptr<EtcdWatchStream>(new EtcdWatchStream(std::move(impl)));
}

// --- Keep-alive -------------------------------------------------------------------------------

struct EtcdKeepAliveStream::Impl {
    QString endpoint;
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::LeaseKeepAliveRequest,
                                             etcdserverpb::LeaseKeepAliveResponse>>
        stream;
    bool finished = false;
};

EtcdKeepAliveStream::EtcdKeepAliveStream(std::unique_ptr<Impl> impl)
    : d(std::move(impl)) {}

EtcdKeepAliveStream::~EtcdKeepAliveStream() {
    if (!d->finished) {
        d->ctx.TryCancel();
        etcdserverpb::LeaseKeepAliveResponse resp;
        while (d->stream->Read(&resp)) {
        }
        d->stream->Finish();
    }
}

void EtcdKeepAliveStream::cancel() {
    d->ctx.TryCancel();
}

EtcdResult<qint64> EtcdKeepAliveStream::keepAlive(qint64 leaseId, int timeoutMs) {
    Q_UNUSED(timeoutMs); // the channel's keepalive pings bound a silent peer
    if (d->finished)
        return std::unexpected(EtcdError{EtcdError::Code::Canceled, u"keep-alive closed"_s});
    etcdserverpb::LeaseKeepAliveRequest req;
    req.set_id(leaseId);
    etcdserverpb::LeaseKeepAliveResponse resp;
    if (!d->stream->Write(req) || !d->stream->Read(&resp)) {
        d->finished = true;
        const grpc::Status st = d->stream->Finish();
        return std::unexpected(
            st.ok() ? EtcdError{EtcdError::Code::Unavailable,
                                u"etcd "_s + d->endpoint + u" closed the keep-alive stream"_s}
                    : toError(d->endpoint, st));
    }
    return resp.ttl();
}

EtcdResult<std::unique_ptr<EtcdKeepAliveStream>> EtcdClient::openKeepAlive(int deadlineMs) {
    auto impl = std::make_unique<EtcdKeepAliveStream::Impl>();
    impl->endpoint = d->endpoint;
    d->prepare(impl->ctx, std::max(0, deadlineMs));
    impl->stream = d->lease->LeaseKeepAlive(&impl->ctx);
    return std::unique_ptr<EtcdKeepAliveStream>(new EtcdKeepAliveStream(std::move(impl)));
}

} // namespace regscope
