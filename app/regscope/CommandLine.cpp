#include "app/regscope/CommandLine.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace regscope {

void printError(const QString& message) {
    std::fprintf(stderr, "regscope: %s\n", qPrintable(message));
}

void preferOffscreenWhenHeadless(int argc, char** argv) {
    if (qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
        return;
    const bool hasDisplay =
        qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY");
    for (int i = 1; i < argc; ++i) {
        const QByteArrayView arg(argv[i]);
        const bool headless = arg == "--version" || arg == "-v" || arg == "--help" || arg == "-h" ||
                              arg == "--dump" || arg == "--inspect" || arg == "--list-attachable" ||
                              arg == "--follow" || arg == "--diff";
        if (headless || (!hasDisplay && arg == "--screenshot")) {
            qputenv("QT_QPA_PLATFORM", "offscreen");
            return;
        }
    }
}

namespace {

std::expected<int, QString> seconds(const QCommandLineParser& parser,
                                    const QCommandLineOption& option, bool allowZero) {
    bool ok = false;
    const double s = parser.value(option).toDouble(&ok);
    if (!ok || s < 0 || (!allowZero && s == 0))
        return std::unexpected(u"--%1 wants a %2 number of seconds, not '%3'"_s.arg(
            option.names().constFirst(), allowZero ? u"non-negative"_s : u"positive"_s,
            parser.value(option)));
    return int(s * 1000);
}

// Every option of the command line, with its help text.
struct Options {
    QCommandLineOption connectOpt = QCommandLineOption(
        u"connect"_s, u"The source to attach to (see above)."_s, u"URL"_s, u"demo"_s);
    QCommandLineOption dumpOpt = QCommandLineOption(
        u"dump"_s, u"Print the source's snapshot and metrics in FORMAT (json) and exit."_s,
        u"FORMAT"_s);
    QCommandLineOption settleOpt = QCommandLineOption(
        u"settle"_s,
        u"With --dump: stay attached SECONDS after the source is ready, then dump, so a "
        u"script sees what a watching user would."_s,
        u"SECONDS"_s, u"0"_s);
    QCommandLineOption screenshotOpt = QCommandLineOption(
        u"screenshot"_s, u"Render the window, save it as a PNG to FILE, exit."_s, u"FILE"_s);
    QCommandLineOption panelOpt =
        QCommandLineOption(u"panel"_s, u"The panel to show (Entries, Metrics…)."_s, u"NAME"_s);
    QCommandLineOption deadlineOpt = QCommandLineOption(
        u"deadline"_s, u"Seconds --dump/--screenshot wait for the source (default 10)."_s,
        u"SECONDS"_s, u"10"_s);
    QCommandLineOption themeOpt = QCommandLineOption(
        u"theme"_s, u"light or dark (default: as last used; a screenshot does not save it)."_s,
        u"THEME"_s);
    QCommandLineOption inspectOpt = QCommandLineOption(
        u"inspect"_s,
        u"Load the shared object FILE in a sacrificial loader, print the verdict as JSON, exit "
        u"0 only when it loaded cleanly."_s,
        u"FILE"_s);
    QCommandLineOption cookieOpt = QCommandLineOption(
        u"plugin-cookie"_s,
        u"With --inspect: the go-plugin host's magic cookie KEY=VALUE (Terraform, Vault, Packer "
        u"and Nomad cookies are built in)."_s,
        u"KEY=VALUE"_s);
    QCommandLineOption listOpt = QCommandLineOption(
        u"list-attachable"_s,
        u"Print the processes with a debug endpoint (REGSCOPE_DEBUG=1), one JSON object per "
        u"line with a \"pid\" field, and exit."_s);
    QCommandLineOption readOnlyOpt = QCommandLineOption(
        u"read-only"_s,
        u"No write action on any source for this session (every source already opens "
        u"read-only; this removes the toggle)."_s);
    QCommandLineOption loadPluginOpt = QCommandLineOption(
        u"load-plugin"_s,
        u"Load the shared object FILE in the Plugins panel at start (repeatable); a "
        u"--screenshot waits for each verdict."_s,
        u"FILE"_s);
    QCommandLineOption sizeOpt = QCommandLineOption(
        u"size"_s,
        u"The window's size, e.g. 700x450 (for --screenshot: how it reads when small)."_s,
        u"WxH"_s);
    QCommandLineOption outputOpt = QCommandLineOption(
        u"output"_s, u"With --dump: write to FILE (atomically) instead of stdout."_s, u"FILE"_s);
    QCommandLineOption followOpt = QCommandLineOption(
        u"follow"_s,
        u"Stream the source as FORMAT (jsonl): the snapshot as upserts, a synced line, then "
        u"every change, until SIGINT/SIGTERM or --for. Exit 3: unreachable at start; 4: lost "
        u"and not regained within --deadline."_s,
        u"FORMAT"_s);
    QCommandLineOption forOpt =
        QCommandLineOption(u"for"_s, u"With --follow: stop after SECONDS."_s, u"SECONDS"_s, u"0"_s);
    QCommandLineOption diffOpt = QCommandLineOption(
        u"diff"_s,
        u"--diff A B: compare two snapshots, or a snapshot and a source URL. Exit 0: equal, "
        u"1: they differ, 2: an error. Instance fields that move with renews alone "
        u"(renew_timestamp, renew_age_ms, observed_at_ms, latest_timestamp) are not compared."_s,
        u"A"_s);
    QCommandLineOption formatOpt = QCommandLineOption(
        u"format"_s, u"With --diff: text (default) or json."_s, u"FORMAT"_s, u"text"_s);
    QCommandLineOption probeOpt = QCommandLineOption(
        u"probe"_s, u"Probe every registered instance address (off unless asked: the hosts "
                    u"have not asked to be probed); each instance then carries a probe verdict."_s);
    QCommandLineOption probeOptionsOpt = QCommandLineOption(
        u"probe-options"_s,
        u"The probe's bounds, KEY=VALUE,...: path=/ (what http(s) GETs), rate=50 (per second), "
        u"in-flight=32, timeout=1 and interval=30 (seconds)."_s,
        u"OPTIONS"_s);
    QCommandLineOption allSourcesOpt = QCommandLineOption(
        u"all-sources"_s,
        u"With several --connect: the panels show every source at once, with a Source "
        u"column, as the Show: list above the panels does."_s);
};

void describe(QCommandLineParser& parser, const Options& o) {
    parser.setApplicationDescription(
        u"A desktop debugger for registries.\n\nSources (--connect, the connection bar):\n"
        u"  demo[?rate=N&reload=S&churn=S&seed=N]   the embedded demo registry\n"
        u"  http://host:port                        a discovery server (bilibili/discovery API)\n"
        u"  pid://PID[?reattach=1], unix:///path    a process that embeds models/registry and\n"
        u"                                          runs with REGSCOPE_DEBUG=1\n"
        u"  etcd://host:port[,host:port]/prefix[?services=/services/]\n"
        u"                                          an etcd v3 cluster; services= maps\n"
        u"                                          /services/<app>/<instance> keys to Instances\n"
        u"  file:///path/snap.json                  a snapshot (--dump --output, File > Save\n"
        u"                                          snapshot), read-only"_s);
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({o.connectOpt,   o.dumpOpt,     o.settleOpt,   o.screenshotOpt,
                       o.panelOpt,     o.deadlineOpt, o.themeOpt,    o.inspectOpt,
                       o.cookieOpt,    o.listOpt,     o.readOnlyOpt, o.loadPluginOpt,
                       o.sizeOpt,      o.outputOpt,   o.followOpt,   o.forOpt,
                       o.diffOpt,      o.formatOpt,   o.probeOpt,    o.probeOptionsOpt,
                       o.allSourcesOpt});
    parser.addPositionalArgument(u"B"_s, u"With --diff: the second snapshot or URL."_s, u"[B]"_s);
}

// The sources, the probe, the output and the window's look.
std::expected<void, QString> readValues(const QCommandLineParser& parser, const Options& o,
                                        CommandLine& cl) {

    // value() is the last of a repeated option: the panels' source is the first one.
    cl.urls = parser.isSet(o.connectOpt) ? parser.values(o.connectOpt)
                                         : QStringList{parser.value(o.connectOpt)};
    cl.url = cl.urls.constFirst();
    cl.urlGiven = parser.isSet(o.connectOpt);
    cl.probe = parser.isSet(o.probeOpt);
    cl.allSources = parser.isSet(o.allSourcesOpt);
    if (const auto limits = parseProbeLimits(parser.value(o.probeOptionsOpt)); limits)
        cl.probeLimits = *limits;
    else
        return std::unexpected(limits.error());
    cl.outputFile = parser.value(o.outputOpt);
    cl.format = parser.value(o.formatOpt);
    if (cl.format != u"text" && cl.format != u"json")
        return std::unexpected(u"--format is text or json, not '%1'"_s.arg(cl.format));
    cl.readOnly = parser.isSet(o.readOnlyOpt);
    if (parser.isSet(o.sizeOpt)) {
        const QStringList wh = parser.value(o.sizeOpt).split(u'x');
        bool okW = false;
        bool okH = false;
        const int w = wh.value(0).toInt(&okW);
        const int h = wh.size() == 2 ? wh.value(1).toInt(&okH) : 0;
        if (!okW || !okH || w < 320 || h < 240 || w > 10000 || h > 10000)
            return std::unexpected(u"--size is WIDTHxHEIGHT (320x240 or more), not '%1'"_s.arg(
                parser.value(o.sizeOpt)));
        cl.size = QSize(w, h);
    }
    for (const QString& file : parser.values(o.loadPluginOpt)) {
        const QFileInfo info(file);
        if (!info.isFile())
            return std::unexpected(u"--load-plugin: no file '%1'"_s.arg(file));
        cl.loadPlugins.append(info.absoluteFilePath());
    }
    cl.panel = parser.value(o.panelOpt);
    cl.theme = parser.value(o.themeOpt);
    if (!cl.theme.isEmpty() && cl.theme != u"light" && cl.theme != u"dark")
        return std::unexpected(u"--theme is light or dark, not '%1'"_s.arg(cl.theme));
    return {};
}

// --deadline, --settle and --for, in ms.
std::expected<void, QString> readTimes(const QCommandLineParser& parser, const Options& o,
                                       CommandLine& cl) {
    const auto deadline = seconds(parser, o.deadlineOpt, false);
    if (!deadline)
        return std::unexpected(deadline.error());
    cl.deadlineMs = *deadline;
    const auto settle = seconds(parser, o.settleOpt, true);
    if (!settle)
        return std::unexpected(settle.error());
    cl.settleMs = *settle;
    const auto forMs = seconds(parser, o.forOpt, true);
    if (!forMs)
        return std::unexpected(forMs.error());
    cl.forMs = *forMs;
    return {};
}

// What the run does: the first of the mode options given wins, in this order.
std::expected<void, QString> readMode(const QCommandLineParser& parser, const Options& o,
                                      CommandLine& cl) {
    if (parser.isSet(o.listOpt)) {
        cl.mode = CommandLine::Mode::ListAttachable;
    } else if (parser.isSet(o.diffOpt)) {
        cl.mode = CommandLine::Mode::Diff;
        cl.diffA = parser.value(o.diffOpt);
        if (parser.positionalArguments().size() != 1)
            return std::unexpected(u"--diff wants two operands: --diff A B"_s);
        cl.diffB = parser.positionalArguments().constFirst();
    } else if (parser.isSet(o.followOpt)) {
        if (parser.value(o.followOpt) != u"jsonl")
            return std::unexpected(
                u"--follow supports only jsonl, not '%1'"_s.arg(parser.value(o.followOpt)));
        cl.mode = CommandLine::Mode::Follow;
        cl.followFormat = parser.value(o.followOpt);
    } else if (parser.isSet(o.inspectOpt)) {
        cl.mode = CommandLine::Mode::Inspect;
        cl.inspectFile = parser.value(o.inspectOpt);
        cl.pluginCookie = parser.value(o.cookieOpt);
        if (!cl.pluginCookie.isEmpty() && cl.pluginCookie.indexOf(u'=') <= 0)
            return std::unexpected(u"--plugin-cookie: expected KEY=VALUE"_s);
    } else if (parser.isSet(o.dumpOpt)) {
        if (parser.value(o.dumpOpt) != u"json")
            return std::unexpected(
                u"--dump supports only json, not '%1'"_s.arg(parser.value(o.dumpOpt)));
        cl.mode = CommandLine::Mode::Dump;
    } else if (parser.isSet(o.screenshotOpt)) {
        cl.mode = CommandLine::Mode::Screenshot;
        cl.screenshotFile = parser.value(o.screenshotOpt);
    }
    return {};
}

// Options that go with one mode only are refused with another, not ignored.
std::expected<void, QString> checkCombinations(const QCommandLineParser& parser, const Options& o,
                                               CommandLine& cl) {
    if (parser.isSet(o.settleOpt) && cl.mode != CommandLine::Mode::Dump)
        return std::unexpected(u"--settle goes with --dump"_s);
    if (parser.isSet(o.outputOpt) && cl.mode != CommandLine::Mode::Dump)
        return std::unexpected(u"--output goes with --dump"_s);
    if (parser.isSet(o.forOpt) && cl.mode != CommandLine::Mode::Follow)
        return std::unexpected(u"--for goes with --follow"_s);
    if (cl.probe && cl.mode != CommandLine::Mode::Dump && cl.mode != CommandLine::Mode::Window &&
        cl.mode != CommandLine::Mode::Screenshot)
        return std::unexpected(u"--probe goes with --dump json or the window (--follow, --diff "
                               u"and --inspect do not probe)"_s);
    if (parser.isSet(o.formatOpt) && cl.mode != CommandLine::Mode::Diff)
        return std::unexpected(u"--format goes with --diff"_s);
    if (!parser.positionalArguments().isEmpty() && cl.mode != CommandLine::Mode::Diff)
        return std::unexpected(
            u"unexpected argument '%1'"_s.arg(parser.positionalArguments().constFirst()));
    return {};
}

} // namespace

std::expected<CommandLine, QString> parseCommandLine(const QCoreApplication& app) {
    QCommandLineParser parser;
    const Options o;
    describe(parser, o);
    parser.process(app);
    CommandLine cl;
    for (const auto step : {readValues, readTimes, readMode, checkCombinations})
        if (auto ok = step(parser, o, cl); !ok)
            return std::unexpected(ok.error());
    return cl;
}

} // namespace regscope
