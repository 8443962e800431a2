// EtcdClient: the Watch and LeaseKeepAlive streams.
#include "connectors/etcd/EtcdClient.h"
#include "connectors/etcd/EtcdClientImpl.h"

using namespace Qt::StringLiterals;

namespace regscope {

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

namespace {
// The stream failed a write or a read: it is finished, and Finish() says why.
template <typename Impl>
EtcdError closed(Impl& d) {
    d.finished = true;
    const grpc::Status st = d.stream->Finish();
    return st.ok() ? EtcdError{EtcdError::Code::Unavailable,
                               u"etcd "_s + d.endpoint + u" closed the keep-alive stream"_s}
                   : toError(d.endpoint, st);
}
} // namespace

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
        return std::unexpected(closed(*d));
    }
    return resp.ttl();
}

bool EtcdKeepAliveStream::send(qint64 leaseId) {
    etcdserverpb::LeaseKeepAliveRequest req;
    req.set_id(leaseId);
    return d->stream->Write(req);
}

EtcdResult<qint64> EtcdKeepAliveStream::receive() {
    etcdserverpb::LeaseKeepAliveResponse resp;
    if (!d->stream->Read(&resp)) {
        return std::unexpected(closed(*d));
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
