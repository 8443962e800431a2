#include "connectors/probe/GrpcHealthProbe.h"

#include "health.grpc.pb.h"

#include <QMetaObject>
#include <QStringList>

#include <grpc/grpc.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <list>
#include <mutex>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

namespace health = grpc::health::v1;

struct Call {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<health::Health::Stub> stub;
    grpc::ClientContext context;
    health::HealthCheckRequest request;
    health::HealthCheckResponse response;
};

QString statusName(health::HealthCheckResponse::ServingStatus s) {
    return QString::fromStdString(health::HealthCheckResponse::ServingStatus_Name(s));
}

std::pair<ProbeState, QString> verdict(const grpc::Status& status, const Call& call) {
    const QString message = QString::fromStdString(status.error_message());
    switch (status.error_code()) {
    case grpc::StatusCode::OK:
        return {call.response.status() == health::HealthCheckResponse::SERVING
                    ? ProbeState::Up
                    : ProbeState::Unhealthy,
                statusName(call.response.status())};
    case grpc::StatusCode::DEADLINE_EXCEEDED:
        return {ProbeState::Timeout, u"no answer by the deadline"_s};
    case grpc::StatusCode::UNAVAILABLE: {
        // No connection at all is refused; a connection that then failed HTTP/2 (an HTTP/1
        // server, a TLS port) answered, badly.
        static const QStringList noConnection{u"Failed to connect to remote host"_s,
                                              u"Connection refused"_s,
                                              u"DNS resolution failed"_s,
                                              u"No route to host"_s,
                                              u"Network is unreachable"_s,
                                              u"Name or service not known"_s};
        for (const QString& words : noConnection)
            if (message.contains(words, Qt::CaseInsensitive))
                return {ProbeState::Refused, message};
        return {ProbeState::Unhealthy, u"connected, not gRPC: "_s + message};
    }
    case grpc::StatusCode::UNIMPLEMENTED:
        return {ProbeState::Unhealthy, u"answers gRPC, but not grpc.health.v1.Health"_s};
    case grpc::StatusCode::CANCELLED:
        return {ProbeState::Timeout, u"canceled"_s};
    default:
        return {ProbeState::Unhealthy,
                u"gRPC status %1: %2"_s.arg(int(status.error_code())).arg(message)};
    }
}

} // namespace

struct GrpcHealthProbes::Impl {
    std::mutex mutex;
    QObject* context = nullptr;              // null once the owner is gone
    std::list<std::weak_ptr<Call>> inFlight; // to cancel on destruction
};

GrpcHealthProbes::GrpcHealthProbes(QObject* context)
    : d(std::make_shared<Impl>()) {
    // gRPC stays initialised for the process: with a channel per probe, its library count
    // would otherwise fall to zero after each probe, and the shutdown that follows (run on
    // one of gRPC's own threads when the last channel goes there) races the next probe's
    // init: "ref_counted.h: assertion failed: prior > 0" at exit.
    static std::once_flag once;
    std::call_once(once, [] { grpc_init(); });
    d->context = context;
}

GrpcHealthProbes::~GrpcHealthProbes() {
    std::list<std::weak_ptr<Call>> calls;
    {
        std::lock_guard lock(d->mutex);
        d->context = nullptr;
        calls.swap(d->inFlight);
    }
    for (const auto& weak : calls)
        if (const auto call = weak.lock())
            call->context.TryCancel();
}

void GrpcHealthProbes::start(const ProbeAddress& address, int timeoutMs, ProbeDone done) {
    auto call = std::make_shared<Call>();
    grpc::ChannelArguments args;
    // A channel of its own per probe: a subchannel shared through the global pool would carry
    // the last probe's failure (and its reconnect backoff) into this one.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    call->channel = grpc::CreateCustomChannel(address.authority().toStdString(),
                                              grpc::InsecureChannelCredentials(), args);
    call->stub = health::Health::NewStub(call->channel);
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::milliseconds(timeoutMs));
    std::list<std::weak_ptr<Call>>::iterator slot;
    {
        std::lock_guard lock(d->mutex);
        slot = d->inFlight.insert(d->inFlight.end(), call);
    }
    const std::shared_ptr<Impl> impl = d;
    Call* raw = call.get();
    raw->stub->async()->Check(
        &raw->context, &raw->request, &raw->response,
        [impl, call = std::move(call), slot, done = std::move(done)](grpc::Status status) mutable {
            auto [state, detail] = verdict(status, *call);
            std::lock_guard lock(impl->mutex);
            if (!impl->context)
                return; // the owner is gone (and took the list with it)
            impl->inFlight.erase(slot);
            // The call (its channel) is let go on the prober's thread, not on gRPC's.
            QMetaObject::invokeMethod(
                impl->context,
                [done = std::move(done), state, detail = std::move(detail),
                 call = std::move(call)]() mutable {
                    call.reset();
                    done(state, detail);
                },
                Qt::QueuedConnection);
        });
}

} // namespace regscope
