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

} // namespace

std::expected<CommandLine, QString> parseCommandLine(const QCoreApplication& app) {
    QCommandLineParser parser;
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
    const QCommandLineOption connectOpt(u"connect"_s, u"The source to attach to (see above)."_s,
                                        u"URL"_s, u"demo"_s);
    const QCommandLineOption dumpOpt(
        u"dump"_s, u"Print the source's snapshot and metrics in FORMAT (json) and exit."_s,
        u"FORMAT"_s);
    const QCommandLineOption settleOpt(
        u"settle"_s,
        u"With --dump: stay attached SECONDS after the source is ready, then dump, so a "
        u"script sees what a watching user would."_s,
        u"SECONDS"_s, u"0"_s);
    const QCommandLineOption screenshotOpt(
        u"screenshot"_s, u"Render the window, save it as a PNG to FILE, exit."_s, u"FILE"_s);
    const QCommandLineOption panelOpt(u"panel"_s, u"The panel to show (Entries, Metrics…)."_s,
                                      u"NAME"_s);
    const QCommandLineOption deadlineOpt(
        u"deadline"_s, u"Seconds --dump/--screenshot wait for the source (default 10)."_s,
        u"SECONDS"_s, u"10"_s);
    const QCommandLineOption themeOpt(
        u"theme"_s, u"light or dark (default: as last used; a screenshot does not save it)."_s,
        u"THEME"_s);
    const QCommandLineOption inspectOpt(
        u"inspect"_s,
        u"Load the shared object FILE in a sacrificial loader, print the verdict as JSON, exit "
        u"0 only when it loaded cleanly."_s,
        u"FILE"_s);
    const QCommandLineOption cookieOpt(
        u"plugin-cookie"_s,
        u"With --inspect: the go-plugin host's magic cookie KEY=VALUE (Terraform, Vault, Packer "
        u"and Nomad cookies are built in)."_s,
        u"KEY=VALUE"_s);
    const QCommandLineOption listOpt(
        u"list-attachable"_s,
        u"Print the processes with a debug endpoint (REGSCOPE_DEBUG=1), one JSON object per "
        u"line with a \"pid\" field, and exit."_s);
    const QCommandLineOption readOnlyOpt(
        u"read-only"_s,
        u"No write action on any source for this session (every source already opens "
        u"read-only; this removes the toggle)."_s);
    const QCommandLineOption loadPluginOpt(
        u"load-plugin"_s,
        u"Load the shared object FILE in the Plugins panel at start (repeatable); a "
        u"--screenshot waits for each verdict."_s,
        u"FILE"_s);
    const QCommandLineOption sizeOpt(
        u"size"_s,
        u"The window's size, e.g. 700x450 (for --screenshot: how it reads when small)."_s,
        u"WxH"_s);
    const QCommandLineOption outputOpt(
        u"output"_s, u"With --dump: write to FILE (atomically) instead of stdout."_s, u"FILE"_s);
    const QCommandLineOption followOpt(
        u"follow"_s,
        u"Stream the source as FORMAT (jsonl): the snapshot as upserts, a synced line, then "
        u"every change, until SIGINT/SIGTERM or --for. Exit 3: unreachable at start; 4: lost "
        u"and not regained within --deadline."_s,
        u"FORMAT"_s);
    const QCommandLineOption forOpt(u"for"_s, u"With --follow: stop after SECONDS."_s, u"SECONDS"_s,
                                    u"0"_s);
    const QCommandLineOption diffOpt(
        u"diff"_s,
        u"--diff A B: compare two snapshots, or a snapshot and a source URL. Exit 0: equal, "
        u"1: they differ, 2: an error. Instance fields that move with renews alone "
        u"(renew_timestamp, renew_age_ms, observed_at_ms, latest_timestamp) are not compared."_s,
        u"A"_s);
    const QCommandLineOption formatOpt(u"format"_s, u"With --diff: text (default) or json."_s,
                                       u"FORMAT"_s, u"text"_s);
    const QCommandLineOption probeOpt(
        u"probe"_s, u"Probe every registered instance address (off unless asked: the hosts "
                    u"have not asked to be probed); each instance then carries a probe verdict."_s);
    const QCommandLineOption probeOptionsOpt(
        u"probe-options"_s,
        u"The probe's bounds, KEY=VALUE,...: path=/ (what http(s) GETs), rate=50 (per second), "
        u"in-flight=32, timeout=1 and interval=30 (seconds)."_s,
        u"OPTIONS"_s);
    const QCommandLineOption allSourcesOpt(
        u"all-sources"_s,
        u"With several --connect: the panels show every source at once (Entries, "
        u"Instances and etcd with a Source column), as the Show: list above the panels does."_s);
    parser.addOptions({connectOpt,   dumpOpt,       settleOpt,  screenshotOpt, panelOpt,
                       deadlineOpt,  themeOpt,      inspectOpt, cookieOpt,     listOpt,
                       readOnlyOpt,  loadPluginOpt, sizeOpt,    outputOpt,     followOpt,
                       forOpt,       diffOpt,       formatOpt,  probeOpt,      probeOptionsOpt,
                       allSourcesOpt});
    parser.addPositionalArgument(u"B"_s, u"With --diff: the second snapshot or URL."_s, u"[B]"_s);
    parser.process(app);

    CommandLine cl;
    // value() is the last of a repeated option: the panels' source is the first one.
    cl.urls = parser.isSet(connectOpt) ? parser.values(connectOpt)
                                       : QStringList{parser.value(connectOpt)};
    cl.url = cl.urls.constFirst();
    cl.urlGiven = parser.isSet(connectOpt);
    cl.probe = parser.isSet(probeOpt);
    cl.allSources = parser.isSet(allSourcesOpt);
    if (const auto limits = parseProbeLimits(parser.value(probeOptionsOpt)); limits)
        cl.probeLimits = *limits;
    else
        return std::unexpected(limits.error());
    cl.outputFile = parser.value(outputOpt);
    cl.format = parser.value(formatOpt);
    if (cl.format != u"text" && cl.format != u"json")
        return std::unexpected(u"--format is text or json, not '%1'"_s.arg(cl.format));
    cl.readOnly = parser.isSet(readOnlyOpt);
    if (parser.isSet(sizeOpt)) {
        const QStringList wh = parser.value(sizeOpt).split(u'x');
        bool okW = false;
        bool okH = false;
        const int w = wh.value(0).toInt(&okW);
        const int h = wh.size() == 2 ? wh.value(1).toInt(&okH) : 0;
        if (!okW || !okH || w < 320 || h < 240 || w > 10000 || h > 10000)
            return std::unexpected(
                u"--size is WIDTHxHEIGHT (320x240 or more), not '%1'"_s.arg(parser.value(sizeOpt)));
        cl.size = QSize(w, h);
    }
    for (const QString& file : parser.values(loadPluginOpt)) {
        const QFileInfo info(file);
        if (!info.isFile())
            return std::unexpected(u"--load-plugin: no file '%1'"_s.arg(file));
        cl.loadPlugins.append(info.absoluteFilePath());
    }
    cl.panel = parser.value(panelOpt);
    cl.theme = parser.value(themeOpt);
    if (!cl.theme.isEmpty() && cl.theme != u"light" && cl.theme != u"dark")
        return std::unexpected(u"--theme is light or dark, not '%1'"_s.arg(cl.theme));
    const auto deadline = seconds(parser, deadlineOpt, false);
    if (!deadline)
        return std::unexpected(deadline.error());
    cl.deadlineMs = *deadline;
    const auto settle = seconds(parser, settleOpt, true);
    if (!settle)
        return std::unexpected(settle.error());
    cl.settleMs = *settle;
    const auto forMs = seconds(parser, forOpt, true);
    if (!forMs)
        return std::unexpected(forMs.error());
    cl.forMs = *forMs;
    if (parser.isSet(listOpt)) {
        cl.mode = CommandLine::Mode::ListAttachable;
    } else if (parser.isSet(diffOpt)) {
        cl.mode = CommandLine::Mode::Diff;
        cl.diffA = parser.value(diffOpt);
        if (parser.positionalArguments().size() != 1)
            return std::unexpected(u"--diff wants two operands: --diff A B"_s);
        cl.diffB = parser.positionalArguments().constFirst();
    } else if (parser.isSet(followOpt)) {
        if (parser.value(followOpt) != u"jsonl")
            return std::unexpected(
                u"--follow supports only jsonl, not '%1'"_s.arg(parser.value(followOpt)));
        cl.mode = CommandLine::Mode::Follow;
        cl.followFormat = parser.value(followOpt);
    } else if (parser.isSet(inspectOpt)) {
        cl.mode = CommandLine::Mode::Inspect;
        cl.inspectFile = parser.value(inspectOpt);
        cl.pluginCookie = parser.value(cookieOpt);
        if (!cl.pluginCookie.isEmpty() && cl.pluginCookie.indexOf(u'=') <= 0)
            return std::unexpected(u"--plugin-cookie: expected KEY=VALUE"_s);
    } else if (parser.isSet(dumpOpt)) {
        if (parser.value(dumpOpt) != u"json")
            return std::unexpected(
                u"--dump supports only json, not '%1'"_s.arg(parser.value(dumpOpt)));
        cl.mode = CommandLine::Mode::Dump;
    } else if (parser.isSet(screenshotOpt)) {
        cl.mode = CommandLine::Mode::Screenshot;
        cl.screenshotFile = parser.value(screenshotOpt);
    }
    if (parser.isSet(settleOpt) && cl.mode != CommandLine::Mode::Dump)
        return std::unexpected(u"--settle goes with --dump"_s);
    if (parser.isSet(outputOpt) && cl.mode != CommandLine::Mode::Dump)
        return std::unexpected(u"--output goes with --dump"_s);
    if (parser.isSet(forOpt) && cl.mode != CommandLine::Mode::Follow)
        return std::unexpected(u"--for goes with --follow"_s);
    if (cl.probe && cl.mode != CommandLine::Mode::Dump && cl.mode != CommandLine::Mode::Window &&
        cl.mode != CommandLine::Mode::Screenshot)
        return std::unexpected(u"--probe goes with --dump json or the window (--follow, --diff "
                               u"and --inspect do not probe)"_s);
    if (parser.isSet(formatOpt) && cl.mode != CommandLine::Mode::Diff)
        return std::unexpected(u"--format goes with --diff"_s);
    if (!parser.positionalArguments().isEmpty() && cl.mode != CommandLine::Mode::Diff)
        return std::unexpected(
            u"unexpected argument '%1'"_s.arg(parser.positionalArguments().constFirst()));
    return cl;
}

} // namespace regscope
