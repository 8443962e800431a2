#include "connectors/loader/CrashReport.h"

#include "connectors/loader/LoaderProtocol.h"
#include "connectors/loader/elf/ElfFacts.h"
#include "connectors/loader/elf/Symboliser.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace regscope {
using loader::LoaderError;
using loader::Stage;
namespace {

constexpr int kMaxFrames = 32;

QString fromStd(std::string_view text) {
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

void readRusage(PluginVerdict& v, const QString& all) {
    static const QRegularExpression rusage(
        u"%1 maxrss_kib=(\\d+) utime_us=(\\d+) stime_us=(\\d+)"_s.arg(
            fromStd(loader::kRusageMarker)));
    // The relay writes last; a plugin could forge an earlier line, so the last one counts.
    QRegularExpressionMatch last;
    for (auto it = rusage.globalMatch(all); it.hasNext();)
        last = it.next();
    if (!last.hasMatch()) {
        if (v.peakRssKiB < 0)
            v.rusageUnknown = u"the loader's relay ended before it could report (killed)"_s;
        return;
    }
    v.peakRssKiB = last.captured(1).toLongLong();
    v.cpuMs = double(last.captured(2).toLongLong() + last.captured(3).toLongLong()) / 1e3;
    v.rusageUnknown.clear();
}

void readFrames(PluginVerdict& v, const QStringList& lines, const QString& loadedAs, quint64 pc) {
    static const QRegularExpression frameLine(u"^(.*)\\(\\+0x([0-9a-f]+)\\)\\[0x([0-9a-f]+)\\]$"_s);
    std::vector<CrashFrame> frames;
    int exact = -1;
    for (const QString& line : lines) {
        const auto m = frameLine.match(line);
        if (!m.hasMatch()) {
            if (!line.startsWith(u"?["_s))
                break; // the end of the backtrace
            continue;
        }
        CrashFrame f;
        f.module = m.captured(1);
        if (!loadedAs.isEmpty() && f.module == loadedAs) {
            f.module = v.path;
            f.inPlugin = true;
        }
        f.offset = m.captured(2).toULongLong(nullptr, 16);
        f.address = m.captured(3).toULongLong(nullptr, 16);
        if (pc != 0 && f.address == pc && exact < 0)
            exact = static_cast<int>(frames.size());
        frames.push_back(std::move(f));
        if (frames.size() >= kMaxFrames)
            break;
    }
    // The signal handler's own frames come before the interrupted one: drop them.
    if (exact > 0)
        frames.erase(frames.begin(), frames.begin() + exact);
    for (auto& f : frames) {
        if (f.inPlugin) {
            f.culprit = true;
            break;
        }
    }
    v.frames = std::move(frames);
}

} // namespace

void readLoaderStderr(PluginVerdict& v, const QByteArray& stderrBytes, const QString& loadedAs) {
    QString all = QString::fromUtf8(stderrBytes);
    if (!loadedAs.isEmpty())
        all.replace(loadedAs, v.path); // name the user's file everywhere
    v.stderrTail = all.right(8192);
    readRusage(v, all);
    static const QRegularExpression fatal(
        u"%1 signal=(\\d+) addr=0x([0-9a-f]+) code=(\\d+) stage=(\\w+)(?: pc=0x([0-9a-f]+))?"_s.arg(
            fromStd(loader::kFatalMarker)));
    const auto match = fatal.match(all);
    if (match.hasMatch()) {
        bool ok = false;
        v.faultAddress = match.captured(2).toULongLong(&ok, 16);
        v.hasFaultAddress = ok;
        const quint64 pc = match.captured(5).toULongLong(nullptr, 16);
        const QStringList after = all.mid(match.capturedEnd()).split(u'\n', Qt::SkipEmptyParts);
        v.backtraceTail = after.mid(0, 16);
        // Frames name the module by the path dlopen saw; map it back before replacing.
        QString raw = QString::fromUtf8(stderrBytes);
        const auto rawMatch = fatal.match(raw);
        const QStringList rawLines =
            rawMatch.hasMatch() ? raw.mid(rawMatch.capturedEnd()).split(u'\n', Qt::SkipEmptyParts)
                                : QStringList();
        readFrames(v, rawLines, loadedAs, pc);
    }
    v.stderrReading = readStderr(all);
}

void readReport(PluginVerdict& v, const QJsonObject& report) {
    const QJsonObject file = report.value("file"_L1).toObject();
    v.realPath = file.value("realPath"_L1).toString();
    v.sha256 = file.value("sha256"_L1).toString();
    v.size = file.value("size"_L1).toInteger();
    const QJsonObject plugin = report.value("plugin"_L1).toObject();
    v.probe = plugin.value("probe"_L1).toObject();
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
    v.signatureStatus = report.value("signature"_L1).toObject().value("status"_L1).toString();
    v.blocked.clear();
    for (const auto& value : report.value("blocked"_L1).toArray()) {
        const QJsonObject b = value.toObject();
        v.blocked
            << u"%1 ×%2"_s.arg(b.value("what"_L1).toString()).arg(b.value("count"_L1).toInt());
    }
    v.loadMs = report.value("loadMs"_L1).toDouble();
    v.rssKiB = report.value("rssKiB"_L1).toInteger();
    v.peakRssKiB = report.value("peakRssKiB"_L1).toInteger(-1);
    v.cpuMs = report.value("cpuMs"_L1).toDouble(-1);
    v.stage = loader::stageFromString(report.value("stage"_L1).toString().toStdString())
                  .value_or(Stage::Verify);
}

bool needsEnrichment(const PluginVerdict& v) {
    return v.facts.isEmpty() || !v.frames.empty();
}

QJsonObject readFactsInApp(const QString& path) {
    const auto facts = elf::readFactsFromFile(QFile::encodeName(path).toStdString());
    return QJsonDocument::fromJson(QByteArray::fromStdString(facts.dump())).object();
}

PluginVerdict enrichVerdict(PluginVerdict v) {
    if (v.facts.isEmpty())
        v.setFacts(readFactsInApp(v.path), u"app"_s);
    elf::Symboliser symboliser;
    for (std::size_t i = 0; i < v.frames.size(); ++i) {
        CrashFrame& f = v.frames[i];
        // The plugin's frames name the path the user gave, which may be relative.
        const QString file = f.inPlugin ? QFileInfo(f.module).absoluteFilePath() : f.module;
        if (!file.startsWith(u'/'))
            continue;
        // The first frame is the interrupted instruction; the others are return addresses.
        // Source lines for the plugin's own frames; the rest (libc, the loader) get names.
        const auto where = symboliser.lookup(QFile::encodeName(file).toStdString(), f.offset,
                                             i == 0, f.inPlugin);
        if (!where)
            continue;
        f.function = QString::fromStdString(where->function);
        f.file = QString::fromStdString(where->file);
        f.line = where->line;
    }
    return v;
}

} // namespace regscope
