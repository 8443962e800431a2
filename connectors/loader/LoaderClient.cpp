#include "LoaderClient.h"

#include "LoaderProtocol.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace regscope {
namespace {

constexpr qsizetype kStderrTailBytes = 64 * 1024;
constexpr qsizetype kMaxPendingWrite = 32 * 1024 * 1024;

int pidfdOpen(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
int pidfdSignal(int pidfd, int sig) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

void setNonBlocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

QString fromStd(std::string_view text) {
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

} // namespace

QString regscopeLoaderPath() {
    const QString env = qEnvironmentVariable("REGSCOPE_LOADER");
    if (!env.isEmpty())
        return env;
    if (QCoreApplication::instance()) {
        const QString beside = QCoreApplication::applicationDirPath() + u"/regscope-loader"_s;
        if (QFileInfo(beside).isExecutable())
            return beside;
        // Installed: <prefix>/bin/regscope finds <prefix>/libexec/regscope/regscope-loader.
        const QString libexec = QCoreApplication::applicationDirPath() +
                                u"/../libexec/regscope/regscope-loader"_s;
        if (QFileInfo(libexec).isExecutable())
            return QFileInfo(libexec).canonicalFilePath();
    }
    return QStringLiteral(REGSCOPE_LOADER_BUILD_PATH);
}

LoaderClient::LoaderClient(LoaderOptions options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options)) {
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, &LoaderClient::onDeadline);
}

LoaderClient::~LoaderClient() {
    m_outNotifier.reset();
    m_errNotifier.reset();
    m_exitNotifier.reset();
    m_inNotifier.reset();
    if (m_pidfd >= 0) {
        pidfdSignal(m_pidfd, SIGKILL);
        // Reap it: SIGKILL to a live child ends it promptly, so this wait is bounded.
        siginfo_t info{};
        ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(m_pidfd), &info, WEXITED);
        ::close(m_pidfd);
    }
    for (int fd : {m_in, m_out, m_err})
        if (fd >= 0)
            ::close(fd);
}

void LoaderClient::failStart(const QString& code, const QString& detail) {
    m_verdict.state = PluginState::Refused;
    m_verdict.errorCode = code;
    m_verdict.detail = detail;
    m_phase = Phase::Done;
    // Queued: callers connect after start() returns.
    QMetaObject::invokeMethod(
        this, [this] { Q_EMIT finished(m_verdict); }, Qt::QueuedConnection);
}

void LoaderClient::start(const QString& path) {
    Q_ASSERT(m_phase == Phase::Idle);
    m_clock.start();
    m_verdict = PluginVerdict{};
    m_verdict.path = path;
    m_verdict.stage = u"spawn"_s;
    m_verdict.addressSpaceLimit = m_options.addressSpaceBytes;

    // stdin is a socketpair, not a pipe: writing to a loader that just died must fail with
    // EPIPE (send + MSG_NOSIGNAL), never raise SIGPIPE in the app.
    int in[2], out[2], err[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
        return failStart(u"spawn_failed"_s,
                         u"socketpair: %1"_s.arg(QString::fromLocal8Bit(strerror(errno))));
    ::shutdown(in[0], SHUT_WR);
    ::shutdown(in[1], SHUT_RD);
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        ::close(in[0]);
        ::close(in[1]);
        return failStart(u"spawn_failed"_s, u"pipe failed"_s);
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // The child starts with default signal dispositions and an empty mask, whatever Qt set.
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    const QByteArray program = QFile::encodeName(
        m_options.loaderPath.isEmpty() ? regscopeLoaderPath() : m_options.loaderPath);
    const QByteArray cookie =
        QByteArray(loader::kCookieKey.data(), static_cast<qsizetype>(loader::kCookieKey.size())) +
        '=' +
        QByteArray(loader::kCookieValue.data(),
                   static_cast<qsizetype>(loader::kCookieValue.size()));
    // Scrubbed environment: the cookie and a locale, nothing inherited (no LD_PRELOAD).
    char* const argv[] = {const_cast<char*>(program.constData()), nullptr};
    char* const envp[] = {const_cast<char*>(cookie.constData()), const_cast<char*>("LANG=C"),
                          nullptr};
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, program.constData(), &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
        ::close(in[1]);
        ::close(out[0]);
        ::close(err[0]);
        return failStart(u"spawn_failed"_s,
                         u"cannot start %1: %2"_s.arg(QString::fromLocal8Bit(program),
                                                      QString::fromLocal8Bit(strerror(rc))));
    }
    m_pid = pid;
    m_verdict.pid = pid;
    // Nobody else reaps our children (Qt's forkfd only waits for its own), so the pid is
    // still ours here and the pidfd names exactly this process.
    m_pidfd = pidfdOpen(pid);
    m_in = in[1];
    m_out = out[0];
    m_err = err[0];
    for (int fd : {m_in, m_out, m_err})
        setNonBlocking(fd);
    if (m_pidfd < 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return failStart(u"spawn_failed"_s, u"pidfd_open failed (Linux ≥ 5.3 needed)"_s);
    }
    m_outNotifier = std::make_unique<QSocketNotifier>(m_out, QSocketNotifier::Read);
    connect(m_outNotifier.get(), &QSocketNotifier::activated, this, &LoaderClient::onStdout);
    m_errNotifier = std::make_unique<QSocketNotifier>(m_err, QSocketNotifier::Read);
    connect(m_errNotifier.get(), &QSocketNotifier::activated, this, &LoaderClient::onStderr);
    m_exitNotifier = std::make_unique<QSocketNotifier>(m_pidfd, QSocketNotifier::Read);
    connect(m_exitNotifier.get(), &QSocketNotifier::activated, this, &LoaderClient::onExited);
    m_inNotifier = std::make_unique<QSocketNotifier>(m_in, QSocketNotifier::Write);
    m_inNotifier->setEnabled(false);
    connect(m_inNotifier.get(), &QSocketNotifier::activated, this, &LoaderClient::flushWrites);
    m_phase = Phase::Handshake;
    m_verdict.stage = u"handshake"_s;
    armDeadline(m_options.handshakeTimeoutMs);
}

void LoaderClient::armDeadline(int ms) {
    m_deadline.start(ms);
}

void LoaderClient::killNow(const QString& reason) {
    if (m_killReason.isEmpty())
        m_killReason = reason;
    m_deadline.stop();
    if (m_pidfd >= 0)
        pidfdSignal(m_pidfd, SIGKILL);
    // Stop reading: whatever else it says is not to be trusted. onExited() still drains.
    if (m_outNotifier)
        m_outNotifier->setEnabled(false);
}

void LoaderClient::kill() {
    killNow(u"kill"_s);
}

void LoaderClient::onDeadline() {
    killNow(m_phase == Phase::Ready ? u"invoke_deadline"_s : u"deadline"_s);
}

void LoaderClient::resume() {
    if (m_phase != Phase::Paused)
        return;
    m_phase = Phase::Loading;
    sendFrame(QJsonObject{{u"op"_s, u"resume"_s}});
}

qint64 LoaderClient::invoke(const QString& name, const QByteArray& payload) {
    const qint64 id = m_nextInvokeId++;
    if (m_phase != Phase::Ready) {
        InvokeResult result;
        result.id = id;
        result.name = name;
        result.errorCode = u"not_ready"_s;
        result.message = u"the plugin is not loaded"_s;
        QMetaObject::invokeMethod(
            this, [this, result] { Q_EMIT invokeFinished(result); }, Qt::QueuedConnection);
        return id;
    }
    m_pending.push_back({id, name, m_clock.nsecsElapsed()});
    m_verdict.stage = u"invoke"_s;
    sendFrame(QJsonObject{{u"op"_s, u"invoke"_s},
                          {u"id"_s, id},
                          {u"name"_s, name},
                          {u"payload"_s, QString::fromLatin1(payload.toBase64())}});
    armDeadline(m_options.invokeTimeoutMs);
    return id;
}

void LoaderClient::unload() {
    if (m_phase == Phase::Done || m_phase == Phase::Idle || m_phase == Phase::Unloading)
        return;
    if (m_phase == Phase::Handshake) {
        killNow(u"kill"_s);
        return;
    }
    m_phase = Phase::Unloading;
    m_verdict.stage = u"unload"_s;
    sendFrame(QJsonObject{{u"op"_s, u"unload"_s}});
    armDeadline(m_options.stageTimeoutMs);
}

void LoaderClient::sendFrame(const QJsonObject& frame) {
    const QByteArray body = QJsonDocument(frame).toJson(QJsonDocument::Compact);
    const auto n = static_cast<quint32>(body.size());
    const char header[4] = {static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                            static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
    if (m_writeBuffer.size() + body.size() > kMaxPendingWrite) {
        killNow(u"protocol_error"_s);
        return;
    }
    m_writeBuffer.append(header, 4).append(body);
    flushWrites();
}

void LoaderClient::flushWrites() {
    while (!m_writeBuffer.isEmpty() && m_in >= 0) {
        const ssize_t n =
            ::send(m_in, m_writeBuffer.constData(), static_cast<size_t>(m_writeBuffer.size()),
                   MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break; // EAGAIN: wait for the notifier; EPIPE: onExited() will tell
        m_writeBuffer.remove(0, n);
    }
    if (m_inNotifier)
        m_inNotifier->setEnabled(!m_writeBuffer.isEmpty());
}

bool LoaderClient::parseHandshake(const QByteArray& line) {
    const auto check = loader::checkHandshake(
        std::string_view(line.constData(), size_t(line.size())), REGSCOPE_VERSION_STRING, m_pid);
    if (check == loader::HandshakeCheck::Ok)
        return true;
    const QList<QByteArray> fields = line.split('|');
    if (check == loader::HandshakeCheck::Version) {
        m_verdict.detail = u"loader speaks protocol %1 (app %2); regscope needs %3 (app %4)"_s.arg(
            QString::fromUtf8(fields.value(0)), QString::fromUtf8(fields.value(1)),
            QString::number(loader::kCoreProtocolVersion), QStringLiteral(REGSCOPE_VERSION_STRING));
        killNow(u"handshake_version"_s);
    } else if (fields.size() != 5) {
        m_verdict.detail = u"not a regscope-loader handshake: \"%1\""_s.arg(
            QString::fromUtf8(line.left(80)).toHtmlEscaped());
        killNow(u"handshake_garbage"_s);
    } else {
        m_verdict.detail = u"unexpected handshake fields: \"%1\""_s.arg(QString::fromUtf8(line));
        killNow(u"handshake_garbage"_s);
    }
    return false;
}

void LoaderClient::onStdout() {
    drain(m_out, true);
}
void LoaderClient::onStderr() {
    drain(m_err, false);
}

void LoaderClient::drain(int fd, bool isStdout) {
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            // EOF: stop watching (the pidfd tells us when it is really gone).
            if (n == 0) {
                if (isStdout && m_outNotifier)
                    m_outNotifier->setEnabled(false);
                if (!isStdout && m_errNotifier)
                    m_errNotifier->setEnabled(false);
            }
            break;
        }
        if (!isStdout) {
            m_stderr.append(buf, n);
            if (m_stderr.size() > kStderrTailBytes)
                m_stderr.remove(0, m_stderr.size() - kStderrTailBytes);
            continue;
        }
        if (!m_killReason.isEmpty())
            continue; // killed: ignore the rest
        m_outBuffer.append(buf, n);
        // Handshake line, then frames.
        if (m_phase == Phase::Handshake) {
            const qsizetype nl = m_outBuffer.indexOf('\n');
            if (nl < 0) {
                if (m_outBuffer.size() > static_cast<qsizetype>(loader::kMaxHandshakeBytes)) {
                    m_verdict.detail = u"no handshake line in the first %1 bytes"_s.arg(
                        loader::kMaxHandshakeBytes);
                    killNow(u"handshake_garbage"_s);
                }
                continue;
            }
            const QByteArray line = m_outBuffer.left(nl);
            m_outBuffer.remove(0, nl + 1);
            if (!parseHandshake(line))
                continue;
            m_phase = Phase::Loading;
            m_verdict.stage = u"verify"_s;
            QJsonObject limits{{u"asBytes"_s, m_options.addressSpaceBytes},
                               {u"cpuSeconds"_s, m_options.cpuSeconds},
                               {u"nofile"_s, m_options.openFiles}};
            sendFrame(QJsonObject{
                {u"op"_s, u"load"_s},
                {u"path"_s, m_verdict.path},
                {u"trustedKeys"_s, QJsonArray::fromStringList(m_options.trustedKeysHex)},
                {u"requireSignature"_s, m_options.requireSignature},
                {u"knownNames"_s, QJsonArray::fromStringList(m_options.knownNames)},
                {u"pauseAfterVerify"_s, m_options.pauseAfterVerify},
                {u"limits"_s, limits}});
            armDeadline(m_options.stageTimeoutMs);
        }
        while (m_killReason.isEmpty() && m_outBuffer.size() >= 4) {
            const auto* h = reinterpret_cast<const uchar*>(m_outBuffer.constData());
            const quint32 len = (quint32(h[0]) << 24) | (quint32(h[1]) << 16) |
                                (quint32(h[2]) << 8) | quint32(h[3]);
            if (len == 0 || len > loader::kMaxFrameBytes) {
                m_verdict.detail = u"bad frame length %1 (bytes \"%2\")"_s.arg(len).arg(
                    QString::fromLatin1(m_outBuffer.left(16).toHex()));
                killNow(u"protocol_error"_s);
                break;
            }
            if (m_outBuffer.size() < 4 + static_cast<qsizetype>(len))
                break;
            const QByteArray body = m_outBuffer.mid(4, len);
            m_outBuffer.remove(0, 4 + len);
            handleFrame(body);
        }
    }
}

void LoaderClient::handleFrame(const QByteArray& body) {
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) {
        m_verdict.detail = u"frame is not a JSON object"_s;
        killNow(u"protocol_error"_s);
        return;
    }
    const QJsonObject frame = doc.object();
    const QString ev = frame.value("ev"_L1).toString();
    if (ev == "stage"_L1) {
        const QString stage = frame.value("stage"_L1).toString();
        if (frame.value("state"_L1).toString() == "start"_L1) {
            m_verdict.stage = stage;
            armDeadline(m_options.stageTimeoutMs);
            Q_EMIT stageStarted(stage);
        } else {
            const double ms = frame.value("ms"_L1).toDouble();
            const bool ok = frame.value("ok"_L1).toBool();
            m_verdict.stages.push_back({stage, ms, ok});
            if (stage == "verify"_L1 && ok && m_options.pauseAfterVerify) {
                m_phase = Phase::Paused;
                m_deadline.stop();
            }
            Q_EMIT stageFinished(stage, ok, ms);
        }
    } else if (ev == "report"_L1) {
        applyReport(frame);
    } else if (ev == "result"_L1) {
        const qint64 id = frame.value("id"_L1).toInteger();
        const auto it = std::find_if(m_pending.begin(), m_pending.end(),
                                     [id](const Pending& p) { return p.id == id; });
        if (it == m_pending.end())
            return;
        InvokeResult result;
        result.id = id;
        result.name = it->name;
        result.ok = frame.value("ok"_L1).toBool();
        result.status = frame.value("status"_L1).toInt();
        result.output = QByteArray::fromBase64(frame.value("output"_L1).toString().toLatin1());
        result.pluginMs = frame.value("ms"_L1).toDouble();
        result.roundTripMs = double(m_clock.nsecsElapsed() - it->sentNs) / 1e6;
        const QJsonObject err = frame.value("error"_L1).toObject();
        result.errorCode = err.value("code"_L1).toString();
        result.message = err.value("message"_L1).toString();
        m_pending.erase(it);
        if (m_pending.empty()) {
            m_deadline.stop();
            m_verdict.stage = u"ready"_s;
        }
        Q_EMIT invokeFinished(result);
    }
}

void LoaderClient::applyReport(const QJsonObject& report) {
    m_reportSeen = true;
    PluginVerdict& v = m_verdict;
    const QJsonObject file = report.value("file"_L1).toObject();
    v.realPath = file.value("realPath"_L1).toString();
    v.sha256 = file.value("sha256"_L1).toString();
    v.size = file.value("size"_L1).toInteger();
    const QJsonObject plugin = report.value("plugin"_L1).toObject();
    v.pluginName = plugin.value("name"_L1).toString();
    v.pluginVersion = plugin.value("version"_L1).toString();
    v.abiVersion = plugin.value("abi"_L1).toInt();
    v.entryPoint = report.value("entryPoint"_L1).toBool();
    v.registrations.clear();
    for (const auto& value : report.value("registrations"_L1).toArray()) {
        const QJsonObject r = value.toObject();
        v.registrations.push_back(
            {r.value("kind"_L1).toString(), r.value("name"_L1).toString(),
             r.value("version"_L1).toString(), r.value("description"_L1).toString(),
             r.value("hasProcess"_L1).toBool(), r.value("collision"_L1).toBool(),
             r.value("rejected"_L1).toString()});
    }
    v.collisions.clear();
    for (const auto& value : report.value("collisions"_L1).toArray())
        v.collisions << value.toString();
    const QJsonObject elf = report.value("elf"_L1).toObject();
    v.symbols.clear();
    for (const auto& value : elf.value("symbols"_L1).toArray())
        v.symbols << value.toString();
    v.needed.clear();
    for (const auto& value : elf.value("needed"_L1).toArray())
        v.needed << value.toString();
    v.symbolsTruncated = elf.value("symbolsTruncated"_L1).toBool();
    v.soname = elf.value("soname"_L1).toString();
    v.signatureStatus = report.value("signature"_L1).toObject().value("status"_L1).toString();
    v.blocked.clear();
    for (const auto& value : report.value("blocked"_L1).toArray()) {
        const QJsonObject b = value.toObject();
        v.blocked
            << u"%1 ×%2"_s.arg(b.value("what"_L1).toString()).arg(b.value("count"_L1).toInt());
    }
    v.loadMs = report.value("loadMs"_L1).toDouble();
    v.rssKiB = report.value("rssKiB"_L1).toInteger();
    v.peakRssKiB = report.value("peakRssKiB"_L1).toInteger();
    v.stage = report.value("stage"_L1).toString();
    v.wallMs = double(m_clock.nsecsElapsed()) / 1e6;
    if (report.value("outcome"_L1).toString() == "ready"_L1) {
        v.state = PluginState::Ready;
        m_phase = Phase::Ready;
        m_deadline.stop();
        Q_EMIT ready(v);
    } else {
        const QJsonObject err = report.value("error"_L1).toObject();
        v.state = PluginState::Refused;
        v.errorCode = err.value("code"_L1).toString();
        v.detail = err.value("message"_L1).toString();
        m_phase = Phase::Unloading;
        sendFrame(QJsonObject{{u"op"_s, u"unload"_s}});
        armDeadline(m_options.stageTimeoutMs);
    }
}

void LoaderClient::onExited() {
    siginfo_t info{};
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(m_pidfd), &info,
                 WEXITED | WNOHANG) != 0 ||
        info.si_pid == 0)
        return; // spurious wake-up
    m_exitNotifier.reset();
    m_inNotifier.reset();
    ::close(m_pidfd);
    m_pidfd = -1;
    m_deadline.stop();
    // The process is gone, so the pipes hold everything it wrote: read it all.
    if (m_killReason.isEmpty())
        drain(m_out, true);
    drain(m_err, false);
    m_outNotifier.reset();
    m_errNotifier.reset();

    PluginVerdict& v = m_verdict;
    v.wallMs = double(m_clock.nsecsElapsed()) / 1e6;
    if (info.si_code == CLD_EXITED) {
        v.exitStatus = info.si_status;
    } else {
        v.signal = info.si_status;
        v.coreDumped = info.si_code == CLD_DUMPED;
    }
    v.stderrTail = QString::fromUtf8(m_stderr.right(8192));

    // The loader's own fatal line names the fault address and the stage it was in.
    const QString all = QString::fromUtf8(m_stderr);
    static const QRegularExpression fatal(
        u"%1 signal=(\\d+) addr=0x([0-9a-f]+) code=(\\d+) stage=(\\w+)"_s.arg(
            fromStd(loader::kFatalMarker)));
    const auto match = fatal.match(all);
    if (match.hasMatch()) {
        bool ok = false;
        v.faultAddress = match.captured(2).toULongLong(&ok, 16);
        v.hasFaultAddress = ok;
        const QStringList after = all.mid(match.capturedEnd()).split(u'\n', Qt::SkipEmptyParts);
        v.backtraceTail = after.mid(0, 16);
    }

    const QString reason = m_killReason;
    if (reason == "deadline"_L1 || reason == "invoke_deadline"_L1) {
        v.state = PluginState::TimedOut;
        v.errorCode = u"deadline"_s;
        if (v.stage == "handshake"_L1)
            v.detail = u"no handshake within %1 ms"_s.arg(m_options.handshakeTimeoutMs);
        else
            v.detail = u"stage `%1` exceeded its %2 ms deadline"_s.arg(
                v.stage,
                QString::number(reason == "invoke_deadline"_L1 ? m_options.invokeTimeoutMs
                                                               : m_options.stageTimeoutMs));
    } else if (reason.startsWith("handshake"_L1)) {
        v.state = PluginState::Refused;
        v.errorCode = reason;
    } else if (reason == "protocol_error"_L1) {
        v.state = PluginState::Crashed;
        v.errorCode = reason;
    } else if (reason == "kill"_L1) {
        v.state = PluginState::Unloaded;
        v.errorCode = u"killed"_s;
    } else if (v.signal != 0) {
        v.state = PluginState::Crashed;
        v.errorCode = u"signal"_s;
    } else if (m_phase == Phase::Unloading && v.exitStatus == 0) {
        if (v.state != PluginState::Refused)
            v.state = PluginState::Unloaded;
    } else if (v.state == PluginState::Refused && m_reportSeen) {
        // refused and the loader ended on its own: the refusal stands
    } else {
        v.state = m_phase == Phase::Handshake && v.exitStatus != 0 ? PluginState::Refused
                                                                   : PluginState::Crashed;
        v.errorCode = m_phase == Phase::Handshake ? u"exited_before_handshake"_s : u"exited"_s;
        if (m_phase == Phase::Handshake)
            v.detail = u"the loader exited with status %1 before its handshake"_s.arg(v.exitStatus);
    }
    if (v.state == PluginState::Crashed || v.state == PluginState::TimedOut)
        failPendingInvokes(v.state == PluginState::Crashed ? u"crashed"_s : u"deadline"_s,
                           v.headline());
    else
        failPendingInvokes(u"unloaded"_s, u"the loader was unloaded"_s);
    m_phase = Phase::Done;
    for (int* fd : {&m_in, &m_out, &m_err}) {
        if (*fd >= 0)
            ::close(*fd);
        *fd = -1;
    }
    Q_EMIT finished(v);
}

void LoaderClient::failPendingInvokes(const QString& code, const QString& message) {
    const auto pending = std::exchange(m_pending, {});
    for (const auto& p : pending) {
        InvokeResult result;
        result.id = p.id;
        result.name = p.name;
        result.errorCode = code;
        result.message = message;
        result.roundTripMs = double(m_clock.nsecsElapsed() - p.sentNs) / 1e6;
        Q_EMIT invokeFinished(result);
    }
}

} // namespace regscope
