#include "connectors/etcd/EtcdClient.h"

#include "connectors/etcd/EtcdClientImpl.h"

#include <algorithm>
#include <cstring>

using namespace Qt::StringLiterals;

namespace regscope {

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

// A page's keys (or values) copied into shared blocks: each QByteArray points into a block it
// holds a reference on, instead of being an allocation of its own (two per key, with their
// headers and rounding: about 55 bytes a key). A block goes with the last of its pieces; a
// piece changed later detaches as any shared QByteArray does.
class BytePacker {
public:
    QByteArray pack(const std::string& s) {
        const auto n = static_cast<qsizetype>(s.size());
        if (n == 0 || n > kBlock / 16)
            return toBytes(s); // empty, or big enough to be worth its own allocation
        if (!m_block.d_ptr() || m_used + n + 1 > kBlock) {
            QByteArray block(kBlock, Qt::Uninitialized);
            m_block = std::move(block.data_ptr());
            m_used = 0;
        }
        char* at = m_block.data() + m_used; // the raw pointer: no detach
        std::memcpy(at, s.data(), s.size());
        at[n] = '\0'; // constData() stays a C string
        m_used += n + 1;
        QByteArray::DataPointer piece(m_block.d_ptr(), at, n);
        piece.ref();
        return QByteArray(std::move(piece));
    }

private:
    static constexpr qsizetype kBlock = 64 * 1024;
    QByteArray::DataPointer m_block;
    qsizetype m_used = 0;
};

} // namespace

bool isPermanent(EtcdError::Code code) {
    return code == EtcdError::Code::Unauthenticated || code == EtcdError::Code::PermissionDenied ||
           code == EtcdError::Code::InvalidArgument;
}

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
    if (!connected)
        return std::unexpected(diagnoseConnectFailure(d->endpoint, d->options,
                                                      d->channel->GetState(false), d->group.get()));
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
    // The reply lives in an arena: a page of n keys is parsed without 2n string allocations,
    // and freed at once. Its bytes are copied once, into the records.
    google::protobuf::Arena arena;
    auto& resp = *google::protobuf::Arena::CreateMessage<etcdserverpb::RangeResponse>(&arena);
    const grpc::Status st =
        d->unary([&](grpc::ClientContext& ctx) { return d->kv->Range(&ctx, req, &resp); });
    if (!st.ok())
        return std::unexpected(toError(d->endpoint, st));
    EtcdRangePage page;
    page.revision = resp.header().revision();
    page.count = resp.count();
    page.more = resp.more();
    page.kvs.reserve(static_cast<size_t>(resp.kvs_size()));
    BytePacker keys;
    BytePacker values; // apart from the keys: values change more, and free their blocks sooner
    for (const auto& kv : resp.kvs()) {
        KeyRecord& r = page.kvs.emplace_back();
        r.key = keys.pack(kv.key());
        r.value = values.pack(kv.value());
        r.createRevision = kv.create_revision();
        r.modRevision = kv.mod_revision();
        r.version = kv.version();
        r.lease = kv.lease();
    }
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

} // namespace regscope
