#pragma once
// The app's side of one regscope-loader process: spawns it (posix_spawn + pidfd, so the
// real signal and core flag come from waitid), checks the handshake, feeds it frames and
// enforces every deadline by killing it. Never blocks: all I/O is non-blocking and driven by
// QSocketNotifiers on the thread the client lives on. The process it spawns is the loader's
// relay (it forks the real loader, so rusage is the loader's own): the handshake names the
// loader's pid, and deadlines kill the loader first so the relay can still report.

#include "models/PluginVerdict.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <memory>

class QSocketNotifier;

namespace regscope {

struct LoaderOptions {
    QString loaderPath; // empty: regscopeLoaderPath()
    int handshakeTimeoutMs = 3000;
    int stageTimeoutMs = 3000; // per stage (verify, open, resolve, register)
    int invokeTimeoutMs = 3000;
    qint64 addressSpaceBytes = 512ll << 20;
    int cpuSeconds = 10;
    int openFiles = 64;
    QStringList trustedKeysHex; // ed25519 public keys, 64 hex characters each
    bool requireSignature = false;
    QStringList knownNames;        // names in the attached registry, for collision reports
    bool pauseAfterVerify = false; // tests: the loader waits for resume() after verify
    // go-plugin binaries: the host's magic cookie (empty: a built-in one the binary names) and
    // app protocol version (0: whatever the plugin speaks).
    QString pluginCookieKey, pluginCookieValue;
    int pluginProtocol = 0; // the probe answers within 2/3 of stageTimeoutMs
};

// Where regscope-loader is: $REGSCOPE_LOADER, else next to the running executable, else the
// build tree's copy.
QString regscopeLoaderPath();

class LoaderClient : public QObject {
    Q_OBJECT
public:
    explicit LoaderClient(LoaderOptions options = {}, QObject* parent = nullptr);
    ~LoaderClient() override; // kills a loader still running

    // Starts a loader for `path`. One load per client; finished() always follows.
    void start(const QString& path);
    void resume(); // after stageFinished("verify") with pauseAfterVerify
    // Calls a registered process(); invokeFinished() answers with this id.
    qint64 invoke(const QString& name, const QByteArray& payload);
    void unload(); // the loader exits; finished() reports Unloaded
    void kill();   // SIGKILL now; finished() reports it

    const PluginVerdict& verdict() const { return m_verdict; }
    bool running() const { return m_pidfd >= 0; }

Q_SIGNALS:
    void stageStarted(regscope::loader::Stage stage);
    void stageFinished(regscope::loader::Stage stage, bool ok, double ms);
    void ready(const regscope::PluginVerdict& verdict);
    void invokeFinished(const regscope::InvokeResult& result);
    // The loader is gone: Unloaded, Refused, Crashed or TimedOut. Emitted exactly once.
    void finished(const regscope::PluginVerdict& verdict);

private:
    enum class Phase : quint8 { Idle, Handshake, Loading, Paused, Ready, Unloading, Done };
    void failStart(loader::LoaderError code, const QString& detail);
    void judgeExit(bool exited, int status);
    void finish(); // enrich off the GUI thread when needed, then emit finished()
    void onStdout();
    void onStderr();
    void onExited();
    void onDeadline();
    bool parseHandshake(const QByteArray& line);
    void handleFrame(const QByteArray& body);
    void applyReport(const QJsonObject& report);
    void sendFrame(const QJsonObject& frame);
    void flushWrites();
    void armDeadline(int ms);
    void killNow(const QString& reason);
    void drain(int fd, bool isStdout);
    void failPendingInvokes(const QString& code, const QString& message);

    LoaderOptions m_options;
    PluginVerdict m_verdict;
    Phase m_phase = Phase::Idle;
    int m_pid = -1;
    int m_pidfd = -1;      // the relay we spawned
    int m_childPidfd = -1; // the loader itself (from the handshake's pid)
    QString m_loadedAs;
    int m_in = -1, m_out = -1, m_err = -1;
    std::unique_ptr<QSocketNotifier> m_outNotifier, m_errNotifier, m_exitNotifier, m_inNotifier;
    QByteArray m_outBuffer, m_writeBuffer;
    QByteArray m_stderr; // bounded tail
    QTimer m_deadline;
    QElapsedTimer m_clock;
    QTimer m_relayBackstop; // SIGKILL the relay too if it outlives the loader
    QString m_killReason;   // "deadline", "protocol_error", "handshake_*", "kill"
    bool m_reportSeen = false;
    qint64 m_nextInvokeId = 1;
    struct Pending {
        qint64 id;
        QString name;
        qint64 sentNs;
    };
    std::vector<Pending> m_pending;
};

} // namespace regscope
