#include "connectors/loader/LoaderClient.h"

#include "connectors/loader/CrashReport.h"
#include "connectors/loader/LoaderProtocol.h"
#include "connectors/loader/LoaderSpawn.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSocketNotifier>
#include <QtConcurrent/QtConcurrentRun>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace regscope {
using loader::LoaderError;
using loader::Stage;
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
        const QString libexec =
            QCoreApplication::applicationDirPath() + u"/../libexec/regscope/regscope-loader"_s;
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
    m_relayBackstop.setSingleShot(true);
    m_relayBackstop.setInterval(1000);
    connect(&m_relayBackstop, &QTimer::timeout, this, [this] {
        if (m_pidfd >= 0)
            pidfdSignal(m_pidfd, SIGKILL);
    });
}

LoaderClient::~LoaderClient() {
    m_outNotifier.reset();
    m_errNotifier.reset();
    m_exitNotifier.reset();
    m_inNotifier.reset();
    if (m_childPidfd >= 0) {
        pidfdSignal(m_childPidfd, SIGKILL);
        ::close(m_childPidfd);
    }
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

void LoaderClient::failStart(LoaderError code, const QString& detail) {
    m_verdict.state = PluginState::Refused;
    m_verdict.error = code;
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
    m_verdict.stage = Stage::Spawn;
    m_verdict.addressSpaceLimit = m_options.addressSpaceBytes;

    const QByteArray program = QFile::encodeName(
        m_options.loaderPath.isEmpty() ? regscopeLoaderPath() : m_options.loaderPath);
    const auto spawned = spawnLoader(program);
    if (!spawned)
        return failStart(LoaderError::SpawnFailed, spawned.error());
    const pid_t pid = spawned->pid;
    m_pid = pid;
    m_verdict.pid = pid;
    // Nobody else reaps our children (Qt's forkfd only waits for its own), so the pid is
    // still ours here and the pidfd names exactly this process.
    m_pidfd = pidfdOpen(pid);
    m_in = spawned->in;
    m_out = spawned->out;
    m_err = spawned->err;
    for (int fd : {m_in, m_out, m_err})
        setNonBlocking(fd);
    if (m_pidfd < 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return failStart(LoaderError::SpawnFailed, u"pidfd_open failed (Linux ≥ 5.3 needed)"_s);
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
    m_verdict.stage = Stage::Handshake;
    armDeadline(m_options.handshakeTimeoutMs);
}

void LoaderClient::armDeadline(int ms) {
    m_deadline.start(ms);
}

void LoaderClient::killNow(const QString& reason) {
    if (m_killReason.isEmpty())
        m_killReason = reason;
    m_deadline.stop();
    // The loader first: its relay then reports the loader's rusage and ends the same way.
    if (m_childPidfd >= 0) {
        pidfdSignal(m_childPidfd, SIGKILL);
        m_relayBackstop.start();
    } else if (m_pidfd >= 0) {
        pidfdSignal(m_pidfd, SIGKILL);
    }
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
    m_verdict.stage = Stage::Invoke;
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
    m_verdict.stage = Stage::Unload;
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
        const ssize_t n = ::send(m_in, m_writeBuffer.constData(),
                                 static_cast<size_t>(m_writeBuffer.size()), MSG_NOSIGNAL);
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
    // pid 0: the handshake names the relay's child (the real loader), not the pid we spawned.
    const auto check = loader::checkHandshake(
        std::string_view(line.constData(), size_t(line.size())), REGSCOPE_VERSION_STRING, 0);
    const QList<QByteArray> fields = line.split('|');
    if (check == loader::HandshakeCheck::Ok) {
        // The relay's child: alive while the relay waits for it, so the pid names it.
        const qint64 loaderPid = fields.value(3).toLongLong();
        if (loaderPid != m_pid && m_childPidfd < 0)
            m_childPidfd = pidfdOpen(static_cast<pid_t>(loaderPid));
        return true;
    }
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
            m_verdict.stage = Stage::Verify;
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
                {u"pluginCookie"_s, QJsonObject{{u"key"_s, m_options.pluginCookieKey},
                                                {u"value"_s, m_options.pluginCookieValue}}},
                {u"pluginProtocol"_s, m_options.pluginProtocol},
                {u"probeTimeoutMs"_s, qMax(500, m_options.stageTimeoutMs * 2 / 3)},
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
    if (ev == "facts"_L1) {
        m_loadedAs = frame.value("loadedAs"_L1).toString();
        m_verdict.setFacts(frame.value("facts"_L1).toObject(), u"loader"_s);
    } else if (ev == "stage"_L1) {
        const QString stageName = frame.value("stage"_L1).toString();
        const auto parsed = loader::stageFromString(stageName.toStdString());
        if (!parsed) {
            m_verdict.detail = u"unknown stage \"%1\""_s.arg(stageName.left(40));
            killNow(u"protocol_error"_s);
            return;
        }
        const Stage stage = *parsed;
        if (frame.value("state"_L1).toString() == "start"_L1) {
            m_verdict.stage = stage;
            armDeadline(m_options.stageTimeoutMs);
            Q_EMIT stageStarted(stage);
        } else {
            const double ms = frame.value("ms"_L1).toDouble();
            const bool ok = frame.value("ok"_L1).toBool();
            m_verdict.stages.push_back({stageName, ms, ok});
            if (stage == Stage::Verify && ok && m_options.pauseAfterVerify) {
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
            m_verdict.stage = Stage::Ready;
        }
        Q_EMIT invokeFinished(result);
    }
}

void LoaderClient::applyReport(const QJsonObject& report) {
    m_reportSeen = true;
    PluginVerdict& v = m_verdict;
    readReport(v, report);
    v.wallMs = double(m_clock.nsecsElapsed()) / 1e6;
    if (report.value("outcome"_L1).toString() == "ready"_L1) {
        v.state = PluginState::Ready;
        m_phase = Phase::Ready;
        m_deadline.stop();
        Q_EMIT ready(v);
    } else {
        const QJsonObject err = report.value("error"_L1).toObject();
        v.state = PluginState::Refused;
        v.error = loader::loaderErrorFromString(err.value("code"_L1).toString().toStdString())
                      .value_or(LoaderError::BadRequest);
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
    m_relayBackstop.stop();
    ::close(m_pidfd);
    m_pidfd = -1;
    if (m_childPidfd >= 0) {
        ::close(m_childPidfd);
        m_childPidfd = -1;
    }
    m_deadline.stop();
    // The process is gone, so the pipes hold everything it wrote: read it all.
    if (m_killReason.isEmpty())
        drain(m_out, true);
    drain(m_err, false);
    m_outNotifier.reset();
    m_errNotifier.reset();
    judgeExit(info.si_code == CLD_EXITED, info.si_status);
    if (m_verdict.state == PluginState::Crashed || m_verdict.state == PluginState::TimedOut)
        failPendingInvokes(m_verdict.state == PluginState::Crashed ? u"crashed"_s : u"deadline"_s,
                           m_verdict.headline());
    else
        failPendingInvokes(u"unloaded"_s, u"the loader was unloaded"_s);
    for (int* fd : {&m_in, &m_out, &m_err}) {
        if (*fd >= 0)
            ::close(*fd);
        *fd = -1;
    }
    finish();
}

void LoaderClient::judgeExit(bool exited, int status) {
    PluginVerdict& v = m_verdict;
    v.wallMs = double(m_clock.nsecsElapsed()) / 1e6;
    if (exited) {
        v.exitStatus = status;
    } else {
        v.signal = status;
        v.coreDumped = false; // RLIMIT_CORE is 0, and the relay re-raises without a core
    }
    readLoaderStderr(v, m_stderr, m_loadedAs);
    const QString reason = m_killReason;
    if (reason == "deadline"_L1 || reason == "invoke_deadline"_L1) {
        v.state = PluginState::TimedOut;
        v.error = LoaderError::Deadline;
        if (v.stage == Stage::Handshake)
            v.detail = u"no handshake within %1 ms"_s.arg(m_options.handshakeTimeoutMs);
        else
            v.detail = u"stage `%1` exceeded its %2 ms deadline"_s.arg(
                v.stageName(),
                QString::number(reason == "invoke_deadline"_L1 ? m_options.invokeTimeoutMs
                                                               : m_options.stageTimeoutMs));
    } else if (reason.startsWith("handshake"_L1)) {
        v.state = PluginState::Refused;
        v.error = reason == "handshake_version"_L1 ? LoaderError::HandshakeVersion
                                                   : LoaderError::HandshakeGarbage;
    } else if (reason == "protocol_error"_L1) {
        v.state = PluginState::Crashed;
        v.error = LoaderError::ProtocolError;
    } else if (reason == "kill"_L1) {
        v.state = PluginState::Unloaded;
        v.error = LoaderError::Killed;
    } else if (v.signal != 0) {
        v.state = PluginState::Crashed;
        v.error = LoaderError::Signal;
    } else if (m_phase == Phase::Unloading && v.exitStatus == 0) {
        if (v.state != PluginState::Refused)
            v.state = PluginState::Unloaded;
    } else if (v.state == PluginState::Refused && m_reportSeen) {
        // refused and the loader ended on its own: the refusal stands
    } else {
        v.state = m_phase == Phase::Handshake && v.exitStatus != 0 ? PluginState::Refused
                                                                   : PluginState::Crashed;
        v.error =
            m_phase == Phase::Handshake ? LoaderError::ExitedBeforeHandshake : LoaderError::Exited;
        if (m_phase == Phase::Handshake)
            v.detail = u"the loader exited with status %1 before its handshake"_s.arg(v.exitStatus);
    }
    m_phase = Phase::Done;
}

void LoaderClient::finish() {
    if (!needsEnrichment(m_verdict)) {
        Q_EMIT finished(m_verdict);
        return;
    }
    // The app's own facts and the symbolised frames read files: not on this thread.
    auto* watcher = new QFutureWatcher<PluginVerdict>(this);
    connect(watcher, &QFutureWatcher<PluginVerdict>::finished, this, [this, watcher] {
        m_verdict = watcher->result();
        watcher->deleteLater();
        Q_EMIT finished(m_verdict);
    });
    watcher->setFuture(QtConcurrent::run(enrichVerdict, m_verdict));
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
