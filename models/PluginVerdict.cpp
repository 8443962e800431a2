#include "models/PluginVerdict.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>

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
    // glibc's own table ("SEGV" for 11): every signal, not a hand-kept list.
    if (const char* abbrev = ::sigabbrev_np(sig))
        return u"SIG"_s + QString::fromLatin1(abbrev);
    return u"signal %1"_s.arg(sig);
}

QString fromCodes(std::string_view text) {
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

namespace {

using loader::LoaderError;
using loader::Stage;

// What was running in each stage, in the plugin author's words.
QString culprit(Stage stage) {
    switch (stage) {
    case Stage::Open:
        return u"the plugin's static initialiser"_s;
    case Stage::Resolve:
        return u"the plugin's entry point"_s;
    case Stage::Register:
        return u"the plugin's init()"_s;
    case Stage::Invoke:
        return u"the plugin's process()"_s;
    case Stage::Unload:
        return u"the plugin's destructors"_s;
    case Stage::Probe:
        return u"the plugin executable"_s;
    default:
        return u"the loader itself (before any plugin code ran)"_s;
    }
}

bool looksOutOfMemory(const QString& stderrTail) {
    return stderrTail.contains("out of memory"_L1, Qt::CaseInsensitive) ||
           stderrTail.contains("bad_alloc"_L1) || stderrTail.contains("Cannot allocate memory"_L1);
}

QString jsonText(const QJsonValue& v) {
    return v.isString() ? v.toString() : QString();
}

} // namespace

QString readStderr(const QString& tail) {
    struct Rule {
        QRegularExpression pattern;
        QString words; // %1: the first capture
    };
    static const std::vector<Rule> rules = {
        {QRegularExpression(u"ASan runtime does not come first"_s),
         u"the ASan runtime must come first: the plugin is built with -fsanitize=address and "
         "ASan exits unless libasan is preloaded (LD_PRELOAD) or linked into the host"_s},
        {QRegularExpression(u"(\\S+): undefined symbol: (_?Py\\w+)"_s),
         u"needs the Python interpreter's symbol %2: a Python extension module loads only into "
         "python"_s},
        {QRegularExpression(u"(\\S+): undefined symbol: (\\S+)"_s),
         u"an undefined symbol: %2 (the plugin needs a library or a version that provides it)"_s},
        {QRegularExpression(u"version `([^']+)' not found"_s),
         u"needs symbol version %1, which the installed library lacks (built for a newer system)"_s},
        {QRegularExpression(u"(\\S+): cannot open shared object file"_s),
         u"a needed library cannot be found: %1"_s},
        {QRegularExpression(u"stack smashing detected"_s),
         u"the stack protector caught a buffer overflow"_s},
        {QRegularExpression(u"(double free|free\\(\\): invalid|malloc\\(\\): [a-z ]+|corrupted "
                            "size vs\\. prev_size)"_s),
         u"glibc detected heap corruption (%1)"_s},
        {QRegularExpression(u"AddressSanitizer: ([^\\n]+)"_s), u"AddressSanitizer: %1"_s},
        {QRegularExpression(u"Assertion `([^']+)' failed"_s), u"an assertion failed: %1"_s},
        {QRegularExpression(u"terminate called after throwing an instance of '([^']+)'"_s),
         u"an uncaught C++ exception (%1)"_s},
    };
    for (const auto& rule : rules) {
        const auto m = rule.pattern.match(tail);
        if (!m.hasMatch())
            continue;
        QString words = rule.words;
        if (words.contains(u"%2"_s))
            return words.replace(u"%2"_s, m.captured(2));
        return words.contains(u"%1"_s) ? words.arg(m.captured(1)) : words;
    }
    return {};
}

void PluginCallStats::add(double ms, bool ok) {
    ++calls;
    if (!ok)
        ++errors;
    maxMs = std::max(maxMs, ms);
    std::size_t i = 0;
    while (i < kBoundsMs.size() && ms > kBoundsMs[i])
        ++i;
    ++buckets[i];
}

double PluginCallStats::quantileMs(double q) const {
    if (calls == 0)
        return -1;
    const auto want = static_cast<qint64>(std::ceil(q * double(calls)));
    qint64 seen = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        seen += buckets[i];
        if (seen >= want)
            return i < kBoundsMs.size() ? kBoundsMs[i] : maxMs;
    }
    return maxMs;
}

QJsonObject PluginCallStats::toJson() const {
    QJsonArray histogram;
    for (std::size_t i = 0; i < buckets.size(); ++i)
        histogram.append(QJsonObject{
            {u"leMs"_s, i < kBoundsMs.size() ? QJsonValue(kBoundsMs[i]) : QJsonValue(u"+Inf"_s)},
            {u"count"_s, qint64(buckets[i])}});
    const auto q = [this](double v) { return calls ? QJsonValue(quantileMs(v)) : QJsonValue(); };
    return QJsonObject{{u"calls"_s, calls},        {u"errors"_s, errors}, {u"restarts"_s, restarts},
                       {u"p50Ms"_s, q(0.5)},       {u"p99Ms"_s, q(0.99)}, {u"maxMs"_s, maxMs},
                       {u"histogram"_s, histogram}};
}

QString CrashFrame::text() const {
    QString out = QFileInfo(module).fileName();
    if (!function.isEmpty())
        out += u": %1()"_s.arg(function);
    else
        out += u"+0x%1"_s.arg(offset, 0, 16);
    if (!file.isEmpty())
        out += u" at %1:%2"_s.arg(QFileInfo(file).fileName()).arg(line);
    return out;
}

QString PluginVerdict::kind() const {
    const QString k = facts.value("kind"_L1).toObject().value("kind"_L1).toString();
    return k.isEmpty() ? u"unknown"_s : k;
}

QString PluginVerdict::kindDescription() const {
    const QJsonObject k = facts.value("kind"_L1).toObject();
    const QString name = kind();
    if (name == "regscope"_L1)
        return u"a regscope plugin (our C ABI)"_s;
    if (name == "qt"_L1)
        return u"a Qt %1 plugin: IID %2, class %3"_s.arg(jsonText(k.value("qtVersion"_L1)),
                                                         jsonText(k.value("iid"_L1)),
                                                         jsonText(k.value("className"_L1)));
    if (name == "gstreamer"_L1)
        return u"a GStreamer plugin: %1 %2 (%3), license %4, from %5"_s.arg(
            jsonText(k.value("name"_L1)), jsonText(k.value("version"_L1)),
            jsonText(k.value("description"_L1)), jsonText(k.value("license"_L1)),
            jsonText(k.value("origin"_L1)));
    if (name == "python"_L1)
        return u"a Python extension module: %1 (ABI %2)"_s.arg(
            jsonText(k.value("module"_L1)),
            k.value("abiTag"_L1).isString() ? k.value("abiTag"_L1).toString() : u"unknown"_s);
    if (name == "pam"_L1) {
        QStringList provides;
        for (const auto& v : k.value("provides"_L1).toArray())
            provides << v.toString();
        return u"a PAM module providing %1"_s.arg(provides.join(", "_L1));
    }
    if (name == "go-plugin"_L1) {
        QString text = u"a go-plugin binary (HashiCorp RPC plugin), built with %1"_s.arg(
            jsonText(k.value("goVersion"_L1)));
        if (k.value("goPluginVersion"_L1).isString())
            text += u", go-plugin %1"_s.arg(k.value("goPluginVersion"_L1).toString());
        if (!probe.isEmpty())
            text += u"; %1"_s.arg(jsonText(probe.value("message"_L1)));
        return text;
    }
    if (name == "go"_L1)
        return u"a Go executable (%1), not a go-plugin"_s.arg(jsonText(k.value("goVersion"_L1)));
    if (name == "plain"_L1)
        return u"a plain shared object"_s;
    if (name == "not_elf"_L1)
        return u"not an ELF file"_s;
    return u"unknown (no facts: %1)"_s.arg(factsSource.isEmpty() ? u"none read"_s : factsSource);
}

void PluginVerdict::setFacts(const QJsonObject& f, const QString& source) {
    facts = f;
    factsSource = source;
    symbols.clear();
    needed.clear();
    for (const auto& v : f.value("exports"_L1).toArray())
        symbols << v.toString();
    for (const auto& v : f.value("needed"_L1).toArray())
        needed << v.toString();
    soname = f.value("soname"_L1).toString();
    symbolsTruncated = f.value("symbolsTruncated"_L1).toBool();
    if (sha256.isEmpty())
        sha256 = f.value("sha256"_L1).toString();
    entryPoint = entryPoint || kind() == "regscope"_L1;
}

const CrashFrame* PluginVerdict::culpritFrame() const {
    for (const auto& f : frames)
        if (f.culprit)
            return &f;
    return nullptr;
}

QString PluginVerdict::headline() const {
    const QString where = u"in stage `%1`"_s.arg(stageName());
    switch (state) {
    case PluginState::Verifying:
    case PluginState::Loading:
        return u"%1 (stage `%2`)"_s.arg(toString(state), stageName());
    case PluginState::Ready:
        if (kind() == "go-plugin"_L1)
            return u"Handshake ok: %1"_s.arg(kindDescription());
        if (!entryPoint)
            return u"Loaded %1 (no regscope_plugin_entry): inspected, nothing registered"_s.arg(
                kindDescription());
        return u"Ready: %1 %2, %3 registration(s) in %4 ms%5"_s.arg(
            pluginName, pluginVersion, QString::number(registrations.size()),
            QString::number(loadMs, 'f', 1),
            blocked.isEmpty() ? QString() : u" — sandbox blocked: %1"_s.arg(blocked.join(", "_L1)));
    case PluginState::Unloaded:
        return u"Unloaded"_s;
    case PluginState::Refused:
        if (error == LoaderError::DlopenFailed) {
            const QString reading = stderrReading.isEmpty() ? readStderr(detail) : stderrReading;
            if (!reading.isEmpty())
                return u"Refused %1 (%2): %3 — %4"_s.arg(where, errorCode(), reading, detail);
        }
        return u"Refused %1 (%2): %3"_s.arg(where, errorCode(), detail);
    case PluginState::TimedOut:
        return u"No progress within the deadline %1 — killed; %2 hangs; regscope is unaffected"_s
            .arg(where, culprit(stage));
    case PluginState::Crashed:
        break;
    }
    if (error == LoaderError::ProtocolError)
        return u"Protocol corrupted %1 — %2 wrote into the loader's protocol pipe; the loader was "
               "killed; regscope is unaffected"_s.arg(where, culprit(stage));
    if (error == LoaderError::Exited) {
        const QString why =
            stderrReading.isEmpty() ? u"%1 called exit()"_s.arg(culprit(stage)) : stderrReading;
        return u"The loader exited with status %1 %2 — %3; regscope is unaffected"_s.arg(
            QString::number(exitStatus), where, why);
    }
    QString text = signalName(signal);
    if (hasFaultAddress &&
        (signal == SIGSEGV || signal == SIGBUS || signal == SIGILL || signal == SIGFPE))
        text += u" (fault address 0x%1)"_s.arg(faultAddress, 0, 16);
    text += u" %1 — %2 %3"_s.arg(where, culprit(stage),
                                 signal == SIGABRT ? u"aborted"_s : u"crashed"_s);
    if (const CrashFrame* f = culpritFrame())
        text += u" in %1"_s.arg(f->text());
    if (!stderrReading.isEmpty())
        text += u" (%1)"_s.arg(stderrReading);
    else if (looksOutOfMemory(stderrTail))
        text += u" (out of memory under RLIMIT_AS = %1 MiB)"_s.arg(addressSpaceLimit >> 20);
    if (coreDumped)
        text += u" (core dumped)"_s;
    return text + u"; regscope is unaffected"_s;
}

// How the loader ended, for toJson(); empty while it runs.
static QJsonObject crashJson(const PluginVerdict& v) {
    QJsonObject crash;
    if (v.signal != 0 || v.exitStatus >= 0) {
        QJsonArray frameArray;
        for (const auto& f : v.frames)
            frameArray.append(QJsonObject{{u"module"_s, f.module},
                                          {u"offset"_s, u"0x%1"_s.arg(f.offset, 0, 16)},
                                          {u"function"_s, f.function},
                                          {u"file"_s, f.file},
                                          {u"line"_s, f.line},
                                          {u"inPlugin"_s, f.inPlugin},
                                          {u"culprit"_s, f.culprit},
                                          {u"text"_s, f.text()}});
        crash = QJsonObject{{u"signal"_s, v.signal},
                            {u"signalName"_s, v.signal ? signalName(v.signal) : QString()},
                            {u"coreDumped"_s, v.coreDumped},
                            {u"exitStatus"_s, v.exitStatus},
                            {u"frames"_s, frameArray},
                            {u"backtrace"_s, QJsonArray::fromStringList(v.backtraceTail)}};
        if (v.hasFaultAddress)
            crash[u"faultAddress"_s] = u"0x%1"_s.arg(v.faultAddress, 0, 16);
    }
    return crash;
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
    const QJsonObject crash = crashJson(*this);
    const QJsonObject unknownFacts = facts.value("unknown"_L1).toObject();
    auto fact = [&](const char* key) { return facts.value(QLatin1StringView(key)); };
    QJsonObject out{
        {u"path"_s, path},
        {u"realPath"_s, realPath},
        {u"sha256"_s, sha256.isEmpty() ? fact("sha256") : QJsonValue(sha256)},
        {u"size"_s, size},
        {u"state"_s, toString(state)},
        {u"clean"_s, clean()},
        {u"headline"_s, headline()},
        {u"stage"_s, stageName()},
        {u"errorCode"_s, errorCode()},
        {u"detail"_s, detail},
        {u"kind"_s, kind()},
        {u"kindDescription"_s, kindDescription()},
        {u"kindInfo"_s, fact("kind")},
        {u"crash"_s, crash},
        {u"plugin"_s, QJsonObject{{u"name"_s, pluginName},
                                  {u"version"_s, pluginVersion},
                                  {u"abi"_s, abiVersion},
                                  {u"entryPoint"_s, entryPoint}}},
        {u"registrations"_s, regs},
        {u"collisions"_s, QJsonArray::fromStringList(collisions)},
        {u"facts"_s, facts},
        {u"probe"_s, probe.isEmpty() ? QJsonValue() : QJsonValue(probe)},
        {u"factsSource"_s, factsSource},
        {u"signature"_s, signatureStatus},
        {u"stages"_s, stageArray},
        {u"blocked"_s, QJsonArray::fromStringList(blocked)},
        {u"loadMs"_s, loadMs},
        {u"wallMs"_s, wallMs},
        {u"rssKiB"_s, rssKiB},
        {u"peakRssKiB"_s, peakRssKiB >= 0 ? QJsonValue(peakRssKiB) : QJsonValue()},
        {u"cpuMs"_s, cpuMs >= 0 ? QJsonValue(cpuMs) : QJsonValue()},
        {u"stderrReading"_s, stderrReading},
        {u"stderrTail"_s, stderrTail},
    };
    // The familiar top-level lists, null (not []) when the facts do not know them.
    for (const char* key : {"needed", "soname", "buildId", "missing"})
        out[QLatin1StringView(key)] = fact(key).isUndefined() ? QJsonValue() : fact(key);
    out[u"symbols"_s] = fact("exports").isUndefined() ? QJsonValue() : fact("exports");
    out[u"symbolsTruncated"_s] = symbolsTruncated;
    QJsonObject unknown = unknownFacts;
    if (facts.isEmpty())
        unknown[u"facts"_s] = u"no facts were read"_s;
    if (peakRssKiB < 0)
        unknown[u"peakRssKiB"_s] = rusageUnknown.isEmpty() ? u"not measured"_s : rusageUnknown;
    if (cpuMs < 0)
        unknown[u"cpuMs"_s] = rusageUnknown.isEmpty() ? u"not measured"_s : rusageUnknown;
    out[u"unknown"_s] = unknown;
    return out;
}

} // namespace regscope
