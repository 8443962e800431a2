// regscope: the GUI, and the composition root that wires connectors, store and views.

#include "app/regscope/ConnectorFactory.h"
#include "app/regscope/JsonDump.h"
#include "app/regscope/ProfileStore.h"
#include "app/regscope/Session.h"
#include "app/regscope/SourcePanels.h"
#ifdef REGSCOPE_HAVE_LOADER
#include "connectors/loader/Inspect.h"
#endif
#include "connectors/Connector.h"
#include "connectors/attach/AttachDiscovery.h"
#include "models/Store.h"
#include "views/ConnectionBar.h"
#include "views/MainWindow.h"
#include "views/StandardPanels.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QImage>
#include <QJsonDocument>
#include <QSettings>
#include <QStatusBar>
#include <QTextStream>
#include <QTimer>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace {

// Exit codes scripts can branch on.
constexpr int kExitUsage = 2;       // bad arguments or an unsupported source URL
constexpr int kExitUnreachable = 3; // the source could not be reached before the deadline
constexpr int kExitIo = 4;          // the output could not be written

// Headless uses (--version, --dump, --screenshot...) must work without a display.
void preferOffscreenWhenHeadless(int argc, char** argv) {
    if (qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
        return;
    const bool hasDisplay =
        qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY");
    for (int i = 1; i < argc; ++i) {
        const QByteArrayView arg(argv[i]);
        const bool headless = arg == "--version" || arg == "-v" || arg == "--help" || arg == "-h" ||
                              arg == "--dump" || arg == "--inspect" || arg == "--list-attachable";
        if (headless || (!hasDisplay && arg == "--screenshot")) {
            qputenv("QT_QPA_PLATFORM", "offscreen");
            return;
        }
    }
}

void fail(const QString& message) {
    std::fprintf(stderr, "regscope: %s\n", qPrintable(message));
}

// The saved profiles (passwords unsealed into memory); problems go to stderr.
QList<regscope::ConnectionProfile> loadProfiles(const regscope::ProfileStore& profiles) {
    QSettings settings;
    regscope::ProfileStore::Loaded loaded = profiles.load(settings);
    for (const regscope::ProfileError& problem : loaded.problems)
        fail(problem.message);
    return loaded.profiles;
}

// A URL the user typed attaches with the saved profile of the same URL when there is one, so
// its TLS files and credentials apply.
regscope::ConnectionProfile profileFor(const QString& url,
                                       const QList<regscope::ConnectionProfile>& saved) {
    for (const regscope::ConnectionProfile& p : saved) {
        if (p.url == url.trimmed())
            return p;
    }
    regscope::ConnectionProfile bare;
    bare.url = url.trimmed();
    return bare;
}

// Waits (on the event loop, never blocking it) until `ready` holds, the source is down, or
// the deadline passes; then calls done(reached).
void whenReady(regscope::Store* store, int deadlineMs, std::function<bool()> ready,
               std::function<void(bool reached)> done) {
    auto* poll = new QTimer(store);
    poll->setInterval(50);
    auto finished = std::make_shared<bool>(false);
    auto finish = [poll, finished, done](bool reached) {
        if (std::exchange(*finished, true))
            return;
        poll->stop();
        poll->deleteLater();
        done(reached);
    };
    QObject::connect(poll, &QTimer::timeout, store, [store, ready, finish] {
        if (ready())
            finish(true);
        else if (store->health().state == regscope::HealthState::Down && store->eventsApplied() > 0)
            finish(false);
    });
    QTimer::singleShot(deadlineMs, store, [finish] { finish(false); });
    poll->start();
}

} // namespace

int main(int argc, char** argv) {
    preferOffscreenWhenHeadless(argc, argv);
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"regscope"_s);
    QApplication::setOrganizationName(u"regscope"_s);
    QApplication::setApplicationVersion(QStringLiteral(REGSCOPE_VERSION_STRING));
    QIcon icon; // PNG renderings of resources/regscope.svg (no SVG plugin needed)
    icon.addFile(u":/regscope/regscope-64.png"_s);
    icon.addFile(u":/regscope/regscope-256.png"_s);
    QApplication::setWindowIcon(icon);
    regscope::registerConnectorMetaTypes();

    QCommandLineParser parser;
    parser.setApplicationDescription(u"A desktop debugger for registries."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption connectOpt(
        u"connect"_s,
        u"The source to attach to: demo (default; demo?rate=N&reload=S&churn=S&seed=N), "
        u"http://host:port, etcd://host:port[,host:port]/prefix, pid://PID[?reattach=1], "
        u"unix:///path/to.sock."_s,
        u"URL"_s, u"demo"_s);
    const QCommandLineOption dumpOpt(
        u"dump"_s, u"Print the source's snapshot and metrics in FORMAT (json) and exit."_s,
        u"FORMAT"_s);
    const QCommandLineOption screenshotOpt(
        u"screenshot"_s, u"Render the window, save it as a PNG to FILE, exit."_s, u"FILE"_s);
    const QCommandLineOption panelOpt(u"panel"_s, u"The panel to show (Entries, Metrics…)."_s,
                                      u"NAME"_s);
    const QCommandLineOption deadlineOpt(
        u"deadline"_s, u"Seconds --dump/--screenshot wait for the source (default 10)."_s,
        u"SECONDS"_s, u"10"_s);
    const QCommandLineOption themeOpt(u"theme"_s, u"light or dark (default: as last used)."_s,
                                      u"THEME"_s);
    const QCommandLineOption inspectOpt(
        u"inspect"_s,
        u"Load the shared object FILE in a sacrificial loader, print the verdict as JSON, exit "
        u"0 only when it loaded cleanly."_s,
        u"FILE"_s);
    const QCommandLineOption listOpt(
        u"list-attachable"_s,
        u"Print the processes with a debug endpoint (REGSCOPE_DEBUG=1), one JSON object per "
        u"line with a \"pid\" field, and exit."_s);
    parser.addOptions(
        {connectOpt, dumpOpt, screenshotOpt, panelOpt, deadlineOpt, themeOpt, inspectOpt, listOpt});
    parser.process(app);
    if (parser.isSet(listOpt))
        return regscope::attach::printAttachable(stdout);

    if (parser.isSet(inspectOpt)) {
#ifdef REGSCOPE_HAVE_LOADER
        QTextStream out(stdout);
        return regscope::runInspect(parser.value(inspectOpt), out);
#else
        fail(u"--inspect: this build has no plugin loader (REGSCOPE_WITH_LOADER=OFF)"_s);
        return kExitUsage;
#endif
    }

    bool ok = false;
    const int deadlineMs = int(parser.value(deadlineOpt).toDouble(&ok) * 1000);
    if (!ok || deadlineMs <= 0) {
        fail(u"--deadline wants a positive number of seconds"_s);
        return kExitUsage;
    }
    if (parser.isSet(themeOpt) && parser.value(themeOpt) != u"light" &&
        parser.value(themeOpt) != u"dark") {
        fail(u"--theme is light or dark, not '%1'"_s.arg(parser.value(themeOpt)));
        return kExitUsage;
    }
    const auto theme = parser.value(themeOpt) == u"dark" ? regscope::MainWindow::Theme::Dark
                                                         : regscope::MainWindow::Theme::Light;
    if (parser.isSet(dumpOpt) && parser.value(dumpOpt) != u"json") {
        fail(u"--dump supports only json, not '%1'"_s.arg(parser.value(dumpOpt)));
        return kExitUsage;
    }

    const QString url = parser.value(connectOpt);
    const regscope::ProfileStore profileStore;
    const QList<regscope::ConnectionProfile> savedProfiles = loadProfiles(profileStore);
    regscope::Store store;
    regscope::Session session(&store);
    QString error;
    if (!session.attach(profileFor(url, savedProfiles), &error)) {
        fail(error);
        return kExitUsage;
    }

    if (parser.isSet(dumpOpt)) {
        // Ready: attached, the first snapshot applied and one metrics sample in.
        whenReady(
            &store, deadlineMs,
            [&store] {
                return store.health().state == regscope::HealthState::Live &&
                       !store.metricsHistory().empty();
            },
            [&store, &session, url](bool reached) {
                store.flush();
                if (!reached) {
                    const regscope::SourceHealth h = store.health();
                    fail(u"cannot reach %1: %2%3"_s.arg(
                        url, regscope::toString(h.state),
                        h.reason.isEmpty() ? QString() : u" ("_s % h.reason % u')'));
                    QApplication::exit(kExitUnreachable);
                    return;
                }
                const QByteArray json = QJsonDocument(regscope::dumpJson(store, url)).toJson();
                session.detach();
                if (std::fwrite(json.constData(), 1, size_t(json.size()), stdout) !=
                        size_t(json.size()) ||
                    std::fflush(stdout) != 0) {
                    QApplication::exit(kExitIo);
                    return;
                }
                QApplication::exit(0);
            });
        return QApplication::exec();
    }

    regscope::MainWindow window;
    regscope::addStandardPanels(&window, &store);
    regscope::addSourcePanels(&window, &store, &session);
    window.setStore(&store);
    window.connectionBar()->setUrl(url);
    window.setProfiles(savedProfiles);
    window.setAttachLister([] { return regscope::attach::listAttachable(); });
    const auto attach = [&session, &window, &store](const regscope::ConnectionProfile& profile) {
        QString why;
        if (!session.attach(profile, &why)) {
            window.connectionBar()->setHealth({regscope::HealthState::Down, why});
            return;
        }
        window.setStore(&store);
        window.connectionBar()->setUrl(profile.url);
    };
    QObject::connect(
        &window, &regscope::MainWindow::connectRequested, &window,
        [&window, attach](const QString& next) { attach(profileFor(next, window.profiles())); });
    // The connection dialog: save first (so a failing source is still remembered), then attach.
    QObject::connect(
        &window, &regscope::MainWindow::profileConnectRequested, &window,
        [&window, &profileStore, attach](const regscope::ConnectionProfile& profile, bool save) {
            if (save) {
                QSettings settings;
                if (auto saved = profileStore.save(settings, profile); !saved)
                    window.statusBar()->showMessage(saved.error().message, 15000);
                window.setProfiles(loadProfiles(profileStore));
            }
            attach(profile);
        });
    QObject::connect(&window, &regscope::MainWindow::profileDeleteRequested, &window,
                     [&window, &profileStore](const QString& name) {
                         QSettings settings;
                         profileStore.remove(settings, name);
                         window.setProfiles(loadProfiles(profileStore));
                     });

    if (parser.isSet(screenshotOpt)) {
        // Deterministic pictures: the default layout and light theme, not the user's.
        window.setTheme(theme);
        if (parser.isSet(panelOpt) && !window.showPanel(parser.value(panelOpt))) {
            fail(u"no panel named '%1' (panels: %2)"_s.arg(parser.value(panelOpt),
                                                           window.panelTitles().join(u", "_s)));
            return kExitUsage;
        }
        window.show();
        const QString file = parser.value(screenshotOpt);
        // Three samples: the charts have lines, the tables have rates.
        whenReady(
            &store, deadlineMs, [&store] { return store.metricsHistory().size() >= 3; },
            [&window, file](bool) {
                QApplication::processEvents();
                const QImage image = window.grab().toImage();
                if (!image.save(file, "PNG")) {
                    fail(u"cannot write screenshot to %1"_s.arg(file));
                    QApplication::exit(kExitIo);
                    return;
                }
                QApplication::exit(0);
            });
        return QApplication::exec();
    }

    window.restoreLayout();
    if (parser.isSet(themeOpt))
        window.setTheme(theme);
    if (parser.isSet(panelOpt))
        window.showPanel(parser.value(panelOpt));
    window.show();
    const int rc = QApplication::exec();
    session.detach();
    return rc;
}
