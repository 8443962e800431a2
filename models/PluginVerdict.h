#pragma once
// What one load (or invoke) of a plugin in regscope-loader came to: the value LoaderClient
// produces, the Store keeps (PluginEvent), PluginModel shows and `regscope --inspect` prints.

#include "models/LoaderCodes.h"

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

namespace regscope {

QString fromCodes(std::string_view text); // a loader code name as a QString

enum class PluginState : quint8 { Verifying, Loading, Ready, Crashed, TimedOut, Refused, Unloaded };
QString toString(PluginState state);

struct StageTiming {
    QString stage;
    double ms = 0;
    bool ok = true;
};

// One backtrace frame of a crash, named after the user's file and symbolised offline.
struct CrashFrame {
    QString module;      // the file (the user's path for the plugin, not /proc/self/fd/N)
    quint64 offset = 0;  // from the module's load base
    quint64 address = 0; // in the dead loader
    QString function;    // empty when unknown
    QString file;        // source file, when debug info exists
    int line = 0;
    bool inPlugin = false;
    bool culprit = false; // the plugin's own frame that faulted
    QString text() const; // "fault.so: crash_in_ctor() at fault_plugin.c:42"
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
    loader::Stage stage = loader::Stage::Spawn; // running when it ended
    loader::LoaderError error = loader::LoaderError::None;
    QString detail; // the loader's own message, if any
    // The file's facts (connectors/loader/elf): from the loader's facts frame, or read by the
    // app itself when the loader sent none. Unknown fields are null, facts["unknown"] says why.
    QJsonObject facts;
    QString factsSource; // "loader", "app" or empty (none)
    QString loadedAs;    // what the loader dlopen()ed: /proc/self/fd/N
    // A go-plugin binary's probe: cookie, handshake, grpc.health.v1 (GoPluginProbe.h).
    QJsonObject probe;
    // How the process ended (from waitid, not guessed).
    int signal = 0;
    bool coreDumped = false;
    int exitStatus = -1;
    bool hasFaultAddress = false;
    quint64 faultAddress = 0;
    QStringList backtraceTail; // raw lines, as the loader wrote them
    std::vector<CrashFrame> frames;
    QString stderrTail;
    QString stderrReading; // the loader's understanding of stderr ("the ASan runtime must ...")
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
    qint64 rssKiB = 0;
    // The loader's own figures, from wait4 in its relay; -1: unknown (rusageUnknown says why).
    qint64 peakRssKiB = -1;
    double cpuMs = -1;
    QString rusageUnknown;
    qint64 addressSpaceLimit = 0;

    QString stageName() const { return fromCodes(loader::codeName(stage)); }
    QString errorCode() const { return fromCodes(loader::codeName(error)); }
    // The plugin kind from the facts: "regscope", "qt", "gstreamer", "python", "pam",
    // "go-plugin", "go", "plain", "not_elf", "unknown".
    QString kind() const;
    QString kindDescription() const; // in words: "a Qt plugin (IID …, class …)"
    // Fills symbols / needed / soname from facts.
    void setFacts(const QJsonObject& facts, const QString& source);
    const CrashFrame* culpritFrame() const;
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
    QString errorCode; // unknown_name, no_process, plugin_error, crashed, deadline, ... (the
                       // loader's invoke codes; not LoaderError)
    QString message;
    double pluginMs = 0;    // inside process()
    double roundTripMs = 0; // as the app saw it
};

// One payload sent to the running build and to a reload's new build side by side (shadow).
struct ShadowResult {
    QString name;
    qsizetype payloadBytes = 0;
    InvokeResult before; // the running build's answer
    InvokeResult after;  // the new build's answer
    bool beforeAnswered = false;
    bool afterAnswered = false;
    bool done() const { return beforeAnswered && afterAnswered; }
    // Both answered and they differ: success, error code or output bytes.
    bool diverged() const {
        return done() && (before.ok != after.ok || before.errorCode != after.errorCode ||
                          before.output != after.output);
    }
};

// A reload's new build, loaded and ready beside the running one: it replaces it only when the
// user accepts (PluginActions::acceptReload), after reading the diff and any shadow results.
struct ReloadCandidate {
    PluginVerdict verdict;            // the new build's
    QString diff;                     // reloadDiff(running, new), empty: nothing visible changed
    std::vector<ShadowResult> shadow; // newest last, bounded
    bool crashed = false;             // the new build died while shadowing (verdict says how)
    int divergences() const {
        return int(std::count_if(shadow.begin(), shadow.end(),
                                 [](const ShadowResult& r) { return r.diverged(); }));
    }
};

// Invokes observed by the app, per plugin: calls, errors, a latency histogram, restarts.
struct PluginCallStats {
    // Upper bounds of the latency buckets in ms; the last bucket is open.
    static constexpr std::array<double, 15> kBoundsMs = {0.05, 0.1, 0.25, 0.5, 1,   2.5,  5,   10,
                                                         25,   50,  100,  250, 500, 1000, 5000};
    qint64 calls = 0, errors = 0, restarts = 0;
    std::array<quint32, kBoundsMs.size() + 1> buckets{};
    double maxMs = 0;

    void add(double ms, bool ok);
    // The bucket bound under which q of the calls fall (-1 without calls).
    double quantileMs(double q) const;
    QJsonObject toJson() const;
};

QString signalName(int signal);
// The loader's understanding of its stderr, in words; empty when nothing is recognised.
QString readStderr(const QString& stderrTail);

} // namespace regscope

Q_DECLARE_METATYPE(regscope::PluginVerdict)
Q_DECLARE_METATYPE(regscope::InvokeResult)
