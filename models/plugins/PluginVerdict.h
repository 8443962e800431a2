#pragma once
// What one load (or invoke) of a plugin in regscope-loader came to: the value LoaderClient
// produces, PluginModel shows and `regscope --inspect` prints.

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <vector>

namespace regscope {

enum class PluginState : quint8 { Verifying, Loading, Ready, Crashed, TimedOut, Refused, Unloaded };
QString toString(PluginState state);

struct StageTiming {
    QString stage;
    double ms = 0;
    bool ok = true;
};

struct PluginRegistration {
    QString kind, name, version, description;
    bool hasProcess = false;
    bool collision = false; // the name is already in the attached registry or in this plugin
    QString rejected;       // the loader's registry refused it: its error code (Duplicate...)
};

struct PluginVerdict {
    QString path, realPath, sha256;
    qint64 size = 0;
    qint64 pid = 0;
    PluginState state = PluginState::Verifying;
    QString stage;     // the stage running when it ended (verify, open, ..., invoke, handshake)
    QString errorCode; // wrong_abi, unsigned, deadline, signal, exited, protocol_error, ...
    QString detail;    // the loader's own message, if any
    // How the process ended (from waitid, not guessed).
    int signal = 0;
    bool coreDumped = false;
    int exitStatus = -1;
    bool hasFaultAddress = false;
    quint64 faultAddress = 0;
    QStringList backtraceTail;
    QString stderrTail;
    // What the loader reported.
    QString pluginName, pluginVersion;
    int abiVersion = 0;
    bool entryPoint = false;
    std::vector<PluginRegistration> registrations;
    QStringList collisions;
    QStringList symbols, needed;
    bool symbolsTruncated = false;
    QString soname;
    QString signatureStatus;
    std::vector<StageTiming> stages;
    QStringList blocked; // sandbox refusals: "socket ×1"
    double loadMs = 0;   // inside the loader: verify start → ready
    double wallMs = 0;   // spawn → verdict, as the app saw it
    qint64 rssKiB = 0, peakRssKiB = 0;
    qint64 addressSpaceLimit = 0;

    // Loaded, nothing blocked: what `regscope --inspect` exits 0 for.
    bool clean() const { return state == PluginState::Ready && blocked.isEmpty(); }
    // The one line a user reads: "SIGSEGV (fault address 0x0) in stage `open` — ...".
    QString headline() const;
    QJsonObject toJson() const;
};

struct InvokeResult {
    qint64 id = 0;
    QString name;
    bool ok = false;
    int status = 0;
    QByteArray output;
    QString errorCode; // unknown_name, no_process, plugin_error, crashed, deadline, ...
    QString message;
    double pluginMs = 0;    // inside process()
    double roundTripMs = 0; // as the app saw it
};

QString signalName(int signal);

} // namespace regscope

Q_DECLARE_METATYPE(regscope::PluginVerdict)
Q_DECLARE_METATYPE(regscope::InvokeResult)
