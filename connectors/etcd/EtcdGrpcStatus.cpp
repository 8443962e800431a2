// EtcdClient: gRPC statuses and connect failures as errors a user can act on.
#include "connectors/etcd/EtcdClientImpl.h"
#include "models/UniqueFd.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace regscope {

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
    case grpc::StatusCode::UNIMPLEMENTED:
        e.code = EtcdError::Code::NotEtcd;
        e.message = u"etcd "_s + endpoint + u": not an etcd server (it does not implement "_s +
                    u"the etcd API: "_s + msg + u')';
        return e;
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

namespace {

// What a raw look at the endpoint shows.
enum class Probe { Refused, Silent, Http1, Closed, Http2, Unknown };

struct ProbeResult {
    Probe what = Probe::Unknown;
    QString detail; // the first line of an HTTP/1 answer, or the socket error
};

// Waits for `events` on fd in 100 ms slices until budgetMs; false on timeout or cancel.
bool waitFd(int fd, short events, int budgetMs, const EtcdCallGroup* group) {
    for (int spent = 0; spent < budgetMs; spent += 100) {
        if (group && group->canceled())
            return false;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, std::min(100, budgetMs - spent));
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
    return false;
}

// Connects to host:port and, when plaintext, sends the HTTP/2 client preface: an etcd member
// answers with a SETTINGS frame, an HTTP/1 server with "HTTP/1.1 400", a silent one with nothing.
ProbeResult probe(const QString& endpoint, bool tls, int budgetMs, const EtcdCallGroup* group) {
    const auto colon = endpoint.lastIndexOf(u':');
    QString host = endpoint.left(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    const QByteArray port = endpoint.mid(colon + 1).toLatin1();
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    if (colon < 0 || ::getaddrinfo(host.toUtf8().constData(), port.constData(), &hints, &list) != 0)
        return {Probe::Unknown, u"cannot resolve the address"_s};
    const UniqueFd fd(
        ::socket(list->ai_family, list->ai_socktype | SOCK_NONBLOCK, list->ai_protocol));
    const int rc = fd.get() < 0 ? -1 : ::connect(fd.get(), list->ai_addr, list->ai_addrlen);
    ::freeaddrinfo(list);
    if (fd.get() < 0 || (rc < 0 && errno != EINPROGRESS))
        return {Probe::Unknown, QString::fromLocal8Bit(std::strerror(errno))};
    if (!waitFd(fd.get(), POLLOUT, budgetMs / 2, group))
        return {Probe::Unknown, u"no TCP answer"_s};
    int soError = 0;
    socklen_t len = sizeof soError;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soError, &len);
    if (soError == ECONNREFUSED)
        return {Probe::Refused, {}};
    if (soError != 0)
        return {Probe::Unknown, QString::fromLocal8Bit(std::strerror(soError))};
    if (tls) // a TLS server says nothing before our ClientHello: no more to learn here
        return {Probe::Unknown, {}};
    {
        static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                                      "\x00\x00\x00\x04\x00\x00\x00\x00\x00"; // empty SETTINGS
        if (::send(fd.get(), preface, sizeof preface - 1, MSG_NOSIGNAL) < 0)
            return {Probe::Closed, QString::fromLocal8Bit(std::strerror(errno))};
    }
    if (!waitFd(fd.get(), POLLIN, budgetMs / 2, group))
        return {Probe::Silent, {}};
    char buf[256];
    const auto n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0)
        return {Probe::Closed, {}};
    const QByteArray got(buf, n);
    if (got.startsWith("HTTP/"))
        return {Probe::Http1, QString::fromLatin1(got.left(got.indexOf('\r')).left(80))};
    if (n >= 9 && got.at(3) == '\x04') // a SETTINGS frame: HTTP/2 (so likely gRPC)
        return {Probe::Http2, {}};
    return {Probe::Unknown, {}};
}

} // namespace

EtcdError diagnoseConnectFailure(const QString& endpoint, const EtcdOptions& options,
                                 grpc_connectivity_state state, const EtcdCallGroup* group) {
    if (group && group->canceled())
        return {EtcdError::Code::Canceled, u"stopping"_s};
    const QString secs = QString::number(options.connectTimeoutMs / 1000.0, 'g', 3);
    const ProbeResult p = probe(endpoint, options.tls.enabled, 800, group);
    const QString at = u"etcd "_s + endpoint + u": "_s;
    switch (p.what) {
    case Probe::Refused:
        return {EtcdError::Code::Unavailable, at + u"unreachable: connection refused"_s};
    case Probe::Http1:
        return {EtcdError::Code::NotEtcd,
                at + u"not an etcd/gRPC server (it answered HTTP/1: \""_s + p.detail + u"\")"_s};
    case Probe::Closed:
        return {EtcdError::Code::NotEtcd,
                at + (options.tls.enabled
                          ? u"the TLS handshake failed (or not an etcd/gRPC server)"_s
                          : u"not an etcd/gRPC server (it closed the connection unanswered)"_s)};
    case Probe::Silent:
        return {EtcdError::Code::DeadlineExceeded,
                at + u"timed out: the port accepts connections but sends nothing"_s +
                    (options.tls.enabled ? u" (no TLS handshake)"_s : QString()) + u" (waited "_s +
                    secs + u" s)"_s};
    case Probe::Http2:
    case Probe::Unknown:
        break;
    }
    QString why = state == GRPC_CHANNEL_TRANSIENT_FAILURE ? u"connection failed"_s
                                                          : u"timed out after "_s + secs + u" s"_s;
    if (options.tls.enabled && state == GRPC_CHANNEL_TRANSIENT_FAILURE)
        why = u"the TLS handshake failed"_s;
    if (!p.detail.isEmpty())
        why += u" ("_s + p.detail + u')';
    return {state == GRPC_CHANNEL_TRANSIENT_FAILURE ? EtcdError::Code::Unavailable
                                                    : EtcdError::Code::DeadlineExceeded,
            at + u"unreachable: "_s + why};
}

} // namespace regscope
