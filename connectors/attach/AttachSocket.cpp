#include "connectors/attach/AttachSocket.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace regscope::attach {

namespace {

int pollMs(QDeadlineTimer deadline) {
    const qint64 left = deadline.remainingTime();
    return left < 0 ? 1000 : int(std::min<qint64>(left, 1000));
}

QString errnoText(int error) {
    return QString::fromLocal8Bit(std::strerror(error));
}

QString quoted(const QByteArray& bytes) {
    QString out;
    for (const char c : bytes.left(40)) {
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            out += QLatin1Char(c);
        else
            out += u"\\x%1"_s.arg(uchar(c), 2, 16, QLatin1Char('0'));
    }
    return u"\""_s + out + u"\""_s;
}

// Waits for POLLOUT (connect, write) or POLLIN until the deadline; false on timeout.
bool waitFor(int fd, short events, QDeadlineTimer deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, pollMs(deadline));
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return true; // let the caller's next call report the error
        if (deadline.hasExpired())
            return false;
    }
}

AttachResult<void> writeAll(int fd, const char* data, qsizetype size, QDeadlineTimer deadline) {
    qsizetype done = 0;
    while (done < size) {
        const ssize_t n = ::send(fd, data + done, size_t(size - done), MSG_NOSIGNAL);
        if (n > 0) {
            done += n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return std::unexpected(AttachError{AttachErrorCode::Io,
                                               u"write to the host failed: "_s + errnoText(errno)});
        if (!waitFor(fd, POLLOUT, deadline))
            return std::unexpected(AttachError{AttachErrorCode::Timeout,
                                               u"the host did not read within the deadline"_s});
    }
    return {};
}

} // namespace

QString socketDirectory() {
    const QString xdg = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!xdg.isEmpty() && QDir::isAbsolutePath(xdg) && QFileInfo(xdg).isDir())
        return xdg + u"/regscope"_s;
    return u"/tmp/regscope-%1"_s.arg(::getuid());
}

QString socketPathForPid(qint64 pid) {
    return socketDirectory() + u"/%1.sock"_s.arg(pid);
}

bool processAlive(qint64 pid) {
    QFile stat(u"/proc/%1/stat"_s.arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray line = stat.readAll();
    const qsizetype paren = line.lastIndexOf(')');
    return paren < 0 || paren + 2 >= line.size() ||
           (line[paren + 2] != 'Z' && line[paren + 2] != 'X');
}

AttachSocket::~AttachSocket() {
    close();
}

AttachSocket::AttachSocket(AttachSocket&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1))
    , m_buffer(std::move(other.m_buffer))
    , m_consumed(std::exchange(other.m_consumed, 0)) {}

AttachSocket& AttachSocket::operator=(AttachSocket&& other) noexcept {
    if (this != &other) {
        close();
        m_fd = std::exchange(other.m_fd, -1);
        m_buffer = std::move(other.m_buffer);
        m_consumed = std::exchange(other.m_consumed, 0);
    }
    return *this;
}

void AttachSocket::close() {
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_buffer.clear();
    m_consumed = 0;
}

AttachResult<AttachSocket> AttachSocket::open(const QString& path, QDeadlineTimer deadline,
                                              int protocol, int wakeFd) {
    const QByteArray native = QFile::encodeName(path);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (native.isEmpty() || size_t(native.size()) >= sizeof(addr.sun_path))
        return std::unexpected(AttachError{AttachErrorCode::ConnectFailed,
                                           u"not a usable socket path: '%1'"_s.arg(path)});
    std::memcpy(addr.sun_path, native.constData(), size_t(native.size()));
    AttachSocket socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!socket.isOpen())
        return std::unexpected(
            AttachError{AttachErrorCode::ConnectFailed, u"socket(): "_s + errnoText(errno)});
    if (::connect(socket.m_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int error = errno;
        if (error == ENOENT || error == ECONNREFUSED)
            return std::unexpected(AttachError{
                AttachErrorCode::NoEndpoint,
                u"no debug endpoint at %1 (%2): is the process running with REGSCOPE_DEBUG=1?"_s
                    .arg(path, errnoText(error))});
        if (error != EINPROGRESS && error != EAGAIN)
            return std::unexpected(
                AttachError{AttachErrorCode::ConnectFailed,
                            u"cannot connect to %1: %2"_s.arg(path, errnoText(error))});
        if (!waitFor(socket.m_fd, POLLOUT, deadline))
            return std::unexpected(
                AttachError{AttachErrorCode::Timeout, u"connecting to %1 timed out"_s.arg(path)});
    }
    const QByteArray hello =
        "REGSCOPE-ATTACH|" + QByteArray::number(protocol) + '|' + kMagic + '\n';
    if (auto sent = writeAll(socket.m_fd, hello.constData(), hello.size(), deadline); !sent)
        return std::unexpected(sent.error());
    // The answer line; frames may follow it in the same read.
    qsizetype eol = -1;
    while ((eol = socket.m_buffer.indexOf('\n')) < 0) {
        if (socket.m_buffer.size() > kMaxHandshakeLine)
            break;
        if (!socket.waitReadable(deadline, wakeFd))
            return std::unexpected(AttachError{AttachErrorCode::Timeout,
                                               u"the host did not answer the handshake in time"_s});
        if (auto read = socket.readAvailable(); !read) {
            if (read.error().code == AttachErrorCode::Closed && !socket.m_buffer.isEmpty())
                break;
            return std::unexpected(read.error());
        }
    }
    const QByteArray line = eol >= 0 ? socket.m_buffer.left(eol) : socket.m_buffer;
    const QByteArray prefix = "REGSCOPE-ATTACH|";
    if (!line.startsWith(prefix))
        return std::unexpected(
            AttachError{AttachErrorCode::NotAnEndpoint,
                        u"not a regscope debug endpoint: %1"_s.arg(quoted(line))});
    const QList<QByteArray> parts = line.split('|');
    bool ok = false;
    const int version = parts.value(1).toInt(&ok);
    if (parts.value(3) == "refused")
        return std::unexpected(
            AttachError{AttachErrorCode::Refused,
                        u"host refused the attach: "_s +
                            QString::fromUtf8(line.mid(line.indexOf("|refused|") + 9))});
    if (!ok || version != protocol)
        return std::unexpected(
            AttachError{AttachErrorCode::VersionMismatch,
                        u"host speaks attach protocol %1; this regscope speaks %2"_s.arg(
                            QString::fromUtf8(parts.value(1)), QString::number(protocol))});
    if (parts.value(2) != kMagic || parts.value(3) != "ok")
        return std::unexpected(
            AttachError{AttachErrorCode::NotAnEndpoint,
                        u"not a regscope debug endpoint: %1"_s.arg(quoted(line))});
    socket.m_consumed = eol + 1;
    return socket;
}

AttachResult<void> AttachSocket::readAvailable() {
    if (m_consumed > 0 && (m_consumed > (1 << 20) || m_consumed == m_buffer.size())) {
        m_buffer.remove(0, m_consumed);
        m_consumed = 0;
    }
    char chunk[65536];
    for (int round = 0; round < 64; ++round) { // bounded: at most 4 MiB per call
        const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n > 0) {
            m_buffer.append(chunk, n);
            continue;
        }
        if (n == 0)
            return std::unexpected(
                AttachError{AttachErrorCode::Closed, u"the host closed the connection"_s});
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return {};
        return std::unexpected(
            AttachError{AttachErrorCode::Io, u"read failed: "_s + errnoText(errno)});
    }
    return {};
}

std::optional<AttachResult<QJsonObject>> AttachSocket::nextFrame() {
    const qsizetype available = m_buffer.size() - m_consumed;
    if (available < 4)
        return std::nullopt;
    const auto* p = reinterpret_cast<const uchar*>(m_buffer.constData() + m_consumed);
    const quint32 length = quint32(p[0]) << 24 | quint32(p[1]) << 16 | quint32(p[2]) << 8 | p[3];
    if (length == 0 || qsizetype(length) > kMaxServerFrame)
        return std::unexpected(
            AttachError{AttachErrorCode::ProtocolError,
                        u"the host sent a frame of %1 bytes (the limit is %2)"_s.arg(length).arg(
                            kMaxServerFrame)});
    if (available < 4 + qsizetype(length))
        return std::nullopt;
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(
        QByteArray::fromRawData(m_buffer.constData() + m_consumed + 4, qsizetype(length)), &error);
    m_consumed += 4 + qsizetype(length);
    if (error.error != QJsonParseError::NoError || !doc.isObject() ||
        !doc.object().value(u"type").isString())
        return std::unexpected(AttachError{
            AttachErrorCode::ProtocolError,
            u"the host sent a malformed frame: %1"_s.arg(error.error != QJsonParseError::NoError
                                                             ? error.errorString()
                                                             : u"not an object with a type"_s)});
    return doc.object();
}

bool AttachSocket::waitReadable(QDeadlineTimer deadline, int wakeFd) const {
    if (m_buffer.size() - m_consumed >= 4) {
        const auto* p = reinterpret_cast<const uchar*>(m_buffer.constData() + m_consumed);
        const quint32 length =
            quint32(p[0]) << 24 | quint32(p[1]) << 16 | quint32(p[2]) << 8 | p[3];
        if (m_buffer.size() - m_consumed >= 4 + qsizetype(length))
            return true; // a whole frame is buffered already
    }
    pollfd fds[2] = {{m_fd, POLLIN, 0}, {wakeFd, POLLIN, 0}};
    const int n =
        ::poll(fds, wakeFd >= 0 ? 2 : 1, int(std::max<qint64>(0, deadline.remainingTime())));
    if (n <= 0)
        return false;
    if (wakeFd >= 0 && (fds[1].revents & POLLIN))
        return false;
    return fds[0].revents != 0;
}

AttachResult<void> AttachSocket::send(const QJsonObject& frame, QDeadlineTimer deadline) {
    const QByteArray json = QJsonDocument(frame).toJson(QJsonDocument::Compact);
    if (json.size() > kMaxClientFrame)
        return std::unexpected(AttachError{AttachErrorCode::ProtocolError, u"frame too large"_s});
    QByteArray out(4, '\0');
    const auto n = quint32(json.size());
    out[0] = char(n >> 24);
    out[1] = char(n >> 16);
    out[2] = char(n >> 8);
    out[3] = char(n);
    out += json;
    return writeAll(m_fd, out.constData(), out.size(), deadline);
}

AttachResult<QJsonObject> AttachSocket::readFrame(QDeadlineTimer deadline, int wakeFd) {
    for (;;) {
        if (auto frame = nextFrame())
            return *frame;
        if (!waitReadable(deadline, wakeFd))
            return std::unexpected(AttachError{AttachErrorCode::Timeout,
                                               u"no frame from the host within the deadline"_s});
        if (auto read = readAvailable(); !read) {
            if (auto frame = nextFrame())
                return *frame;
            return std::unexpected(read.error());
        }
    }
}

} // namespace regscope::attach
