#pragma once
// The client end of the attach protocol (docs/attach-protocol.md): where a process's socket
// lives, connecting with a deadline, the handshake line, and length-prefixed JSON frames.
// Plain POSIX, used on the connector's thread and by the listing worker; every wait has a
// deadline and every buffer a bound.

#include <QByteArray>
#include <QDeadlineTimer>
#include <QJsonObject>
#include <QString>

#include <expected>
#include <optional>

namespace regscope::attach {

inline constexpr int kProtocolVersion = 1;
inline constexpr char kMagic[] = "7f3a1c9e";
inline constexpr qsizetype kMaxHandshakeLine = 512;
inline constexpr qsizetype kMaxServerFrame = 4 * 1024 * 1024;
inline constexpr qsizetype kMaxClientFrame = 64 * 1024;

enum class AttachErrorCode : quint8 {
    NoEndpoint,    // nothing listens there (no socket, refused, stale)
    ConnectFailed, // another socket error while connecting
    Timeout,       // a deadline passed
    NotAnEndpoint, // the peer does not speak the attach protocol
    VersionMismatch,
    Refused,       // the host said refused (its reason is the message)
    Closed,        // the peer closed the connection
    ProtocolError, // a bad frame from the host
    Io,            // read/write failed
};

struct AttachError {
    AttachErrorCode code = AttachErrorCode::Io;
    QString message;
};

template <class T>
using AttachResult = std::expected<T, AttachError>;

// $XDG_RUNTIME_DIR/regscope when XDG_RUNTIME_DIR is an absolute existing directory, else
// /tmp/regscope-<uid> (the library's rule; the directory may not exist).
QString socketDirectory();
QString socketPathForPid(qint64 pid);
// "/proc/<pid>" exists and is not a zombie.
bool processAlive(qint64 pid);

// A connected, handshaken client socket. Move-only; closes on destruction.
class AttachSocket {
public:
    AttachSocket() = default;
    ~AttachSocket();
    AttachSocket(AttachSocket&& other) noexcept;
    AttachSocket& operator=(AttachSocket&& other) noexcept;
    AttachSocket(const AttachSocket&) = delete;
    AttachSocket& operator=(const AttachSocket&) = delete;

    // Connects to `path` and performs the handshake, announcing `protocol` (tests announce
    // another one to see the refusal), all before `deadline`; a readable `wakeFd` (the
    // connector stopping) ends the wait at once.
    static AttachResult<AttachSocket> open(const QString& path, QDeadlineTimer deadline,
                                           int protocol = kProtocolVersion, int wakeFd = -1);

    int fd() const { return m_fd; }
    bool isOpen() const { return m_fd >= 0; }
    void close();

    // Reads what the socket has without blocking into the buffer. Closed at end of stream.
    AttachResult<void> readAvailable();
    // The next complete frame in the buffer, if any: the decoded object, or an error for a
    // frame that is too large, empty, not JSON or not an object with a "type".
    std::optional<AttachResult<QJsonObject>> nextFrame();
    // Waits until `fd()` is readable or `wakeFd` is (then returns false), at most until
    // the deadline. True when the socket has data (or an error to report).
    bool waitReadable(QDeadlineTimer deadline, int wakeFd = -1) const;
    // Sends one frame before the deadline.
    AttachResult<void> send(const QJsonObject& frame, QDeadlineTimer deadline);
    // Reads frames until one arrives (the hello), before the deadline or the wake.
    AttachResult<QJsonObject> readFrame(QDeadlineTimer deadline, int wakeFd = -1);

private:
    explicit AttachSocket(int fd)
        : m_fd(fd) {}
    int m_fd = -1;
    QByteArray m_buffer;
    qsizetype m_consumed = 0;
};

} // namespace regscope::attach
