#include "PluginVerdict.h"

#include <QJsonArray>

#include <csignal>

using namespace Qt::StringLiterals;

namespace regscope {

QString toString(PluginState state) {
    switch (state) {
    case PluginState::Verifying:
        return u"Verifying"_s;
    case PluginState::Loading:
        return u"Loading"_s;
    case PluginState::Ready:
        return u"Ready"_s;
    case PluginState::Crashed:
        return u"Crashed"_s;
    case PluginState::TimedOut:
        return u"Timed out"_s;
    case PluginState::Refused:
        return u"Refused"_s;
    case PluginState::Unloaded:
        return u"Unloaded"_s;
    }
    return u"?"_s;
}

QString signalName(int sig) {
    switch (sig) {
    case SIGSEGV:
        return u"SIGSEGV"_s;
    case SIGABRT:
        return u"SIGABRT"_s;
    case SIGBUS:
        return u"SIGBUS"_s;
    case SIGILL:
        return u"SIGILL"_s;
    case SIGFPE:
        return u"SIGFPE"_s;
    case SIGKILL:
        return u"SIGKILL"_s;
    case SIGTERM:
        return u"SIGTERM"_s;
    case SIGTRAP:
        return u"SIGTRAP"_s;
    case SIGSYS:
        return u"SIGSYS"_s;
    case SIGXCPU:
        return u"SIGXCPU"_s;
    case SIGPIPE:
        return u"SIGPIPE"_s;
    default:
        return u"signal %1"_s.arg(sig);
    }
}

namespace {

// What was running in each stage, in the plugin author's words.
QString culprit(const QString& stage) {
    if (stage == "open"_L1)
        return u"the plugin's static initialiser"_s;
    if (stage == "resolve"_L1)
        return u"the plugin's entry point"_s;
    if (stage == "register"_L1)
        return u"the plugin's init()"_s;
    if (stage == "invoke"_L1)
        return u"the plugin's process()"_s;
    if (stage == "unload"_L1)
        return u"the plugin's destructors"_s;
    return u"the loader itself (before any plugin code ran)"_s;
}

bool looksOutOfMemory(const QString& stderrTail) {
    return stderrTail.contains("out of memory"_L1, Qt::CaseInsensitive) ||
           stderrTail.contains("bad_alloc"_L1) || stderrTail.contains("Cannot allocate memory"_L1);
}

} // namespace

QString PluginVerdict::headline() const {
    const QString where = u"in stage `%1`"_s.arg(stage);
    switch (state) {
    case PluginState::Verifying:
    case PluginState::Loading:
        return u"%1 (stage `%2`)"_s.arg(toString(state), stage);
    case PluginState::Ready:
        if (!entryPoint)
            return u"Loaded as a plain shared object (no regscope_plugin_entry): inspected, "
                   "nothing registered"_s;
        return u"Ready: %1 %2, %3 registration(s) in %4 ms%5"_s.arg(
            pluginName, pluginVersion, QString::number(registrations.size()),
            QString::number(loadMs, 'f', 1),
            blocked.isEmpty() ? QString() : u" — sandbox blocked: %1"_s.arg(blocked.join(", "_L1)));
    case PluginState::Unloaded:
        return u"Unloaded"_s;
    case PluginState::Refused:
        return u"Refused %1 (%2): %3"_s.arg(where, errorCode, detail);
    case PluginState::TimedOut:
        return u"No progress within the deadline %1 — killed; %2 hangs; regscope is unaffected"_s
            .arg(where, culprit(stage));
    case PluginState::Crashed:
        break;
    }
    if (errorCode == "protocol_error"_L1)
        return u"Protocol corrupted %1 — %2 wrote into the loader's protocol pipe; the loader was "
               "killed; regscope is unaffected"_s.arg(where, culprit(stage));
    if (errorCode == "exited"_L1)
        return u"The loader exited with status %1 %2 — %3 called exit(); regscope is unaffected"_s
            .arg(QString::number(exitStatus), where, culprit(stage));
    QString text = signalName(signal);
    if (hasFaultAddress &&
        (signal == SIGSEGV || signal == SIGBUS || signal == SIGILL || signal == SIGFPE))
        text += u" (fault address 0x%1)"_s.arg(faultAddress, 0, 16);
    text += u" %1 — %2 %3"_s.arg(where, culprit(stage),
                                 signal == SIGABRT ? u"aborted"_s : u"crashed"_s);
    if (looksOutOfMemory(stderrTail))
        text += u" (out of memory under RLIMIT_AS = %1 MiB)"_s.arg(addressSpaceLimit >> 20);
    if (coreDumped)
        text += u" (core dumped)"_s;
    return text + u"; regscope is unaffected"_s;
}

QJsonObject PluginVerdict::toJson() const {
    QJsonArray regs;
    for (const auto& r : registrations)
        regs.append(QJsonObject{{u"kind"_s, r.kind},
                                {u"name"_s, r.name},
                                {u"version"_s, r.version},
                                {u"description"_s, r.description},
                                {u"hasProcess"_s, r.hasProcess},
                                {u"collision"_s, r.collision},
                                {u"rejected"_s, r.rejected}});
    QJsonArray stageArray;
    for (const auto& s : stages)
        stageArray.append(QJsonObject{{u"stage"_s, s.stage}, {u"ms"_s, s.ms}, {u"ok"_s, s.ok}});
    QJsonObject crash;
    if (signal != 0 || exitStatus >= 0) {
        crash = QJsonObject{{u"signal"_s, signal},
                            {u"signalName"_s, signal ? signalName(signal) : QString()},
                            {u"coreDumped"_s, coreDumped},
                            {u"exitStatus"_s, exitStatus},
                            {u"backtrace"_s, QJsonArray::fromStringList(backtraceTail)}};
        if (hasFaultAddress)
            crash[u"faultAddress"_s] = u"0x%1"_s.arg(faultAddress, 0, 16);
    }
    return QJsonObject{
        {u"path"_s, path},
        {u"realPath"_s, realPath},
        {u"sha256"_s, sha256},
        {u"size"_s, size},
        {u"state"_s, toString(state)},
        {u"clean"_s, clean()},
        {u"headline"_s, headline()},
        {u"stage"_s, stage},
        {u"errorCode"_s, errorCode},
        {u"detail"_s, detail},
        {u"crash"_s, crash},
        {u"plugin"_s, QJsonObject{{u"name"_s, pluginName},
                                  {u"version"_s, pluginVersion},
                                  {u"abi"_s, abiVersion},
                                  {u"entryPoint"_s, entryPoint}}},
        {u"registrations"_s, regs},
        {u"collisions"_s, QJsonArray::fromStringList(collisions)},
        {u"symbols"_s, QJsonArray::fromStringList(symbols)},
        {u"symbolsTruncated"_s, symbolsTruncated},
        {u"needed"_s, QJsonArray::fromStringList(needed)},
        {u"soname"_s, soname},
        {u"signature"_s, signatureStatus},
        {u"stages"_s, stageArray},
        {u"blocked"_s, QJsonArray::fromStringList(blocked)},
        {u"loadMs"_s, loadMs},
        {u"wallMs"_s, wallMs},
        {u"rssKiB"_s, rssKiB},
        {u"peakRssKiB"_s, peakRssKiB},
        {u"stderrTail"_s, stderrTail},
    };
}

} // namespace regscope
