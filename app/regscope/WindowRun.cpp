// The window (and its --screenshot): the composition root that wires the session, the store,
// the control broker and the panels.

#include "app/regscope/ProfileStore.h"
#include "app/regscope/QuitOnSignal.h"
#include "app/regscope/RunModes.h"
#include "app/regscope/Session.h"
#ifdef REGSCOPE_HAVE_PROBE
#include "app/regscope/ProbeFeeder.h"
#endif
#include "app/regscope/SourcePanels.h"
#include "app/regscope/SourceSet.h"
#include "app/regscope/WhenReady.h"
#include "connectors/attach/AttachDiscovery.h"
#include "models/ProbeControl.h"
#include "models/Store.h"
#include "models/alerts/AlertEngine.h"
#include "views/ConnectionBar.h"
#include "views/DriftPanel.h"
#include "views/MainWindow.h"
#include "views/SourcesPanel.h"
#include "views/StandardPanels.h"
#include "views/alerts/AlertsUi.h"

#include <QApplication>
#include <QImage>
#include <QLabel>
#include <QSettings>
#include <QStatusBar>

#include <functional>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

// The saved profiles (passwords unsealed into memory); problems go to stderr.
QList<ConnectionProfile> loadProfiles(const ProfileStore& profiles) {
    QSettings settings;
    ProfileStore::Loaded loaded = profiles.load(settings);
    for (const ProfileError& problem : loaded.problems)
        printError(problem.message);
    return loaded.profiles;
}

// A URL the user typed attaches with what it says; a saved profile (its TLS files and
// credentials) applies only when the user chose that profile in the connection dialog.
void attachFromUser(Session& session, MainWindow& window, Store& store,
                    const ConnectionProfile& profile) {
    if (auto attached = session.attach(profile); !attached) {
        window.connectionBar()->showRefused(profile.url, attached.error().message, session.url());
        if (session.attached())
            window.connectionBar()->setUrl(session.url());
        return;
    }
    window.setStore(&store);
    window.connectionBar()->setUrl(profile.url);
}

void wireProfiles(MainWindow& window, Session& session, Store& store,
                  const ProfileStore& profileStore) {
    QObject::connect(&window, &MainWindow::connectRequested, &window,
                     [&window, &session, &store](const QString& next) {
                         ConnectionProfile typed;
                         typed.url = next.trimmed();
                         attachFromUser(session, window, store, typed);
                     });
    // The connection dialog: save first (so a failing source is still remembered), then attach.
    QObject::connect(
        &window, &MainWindow::profileConnectRequested, &window,
        [&window, &session, &store, &profileStore](const ConnectionProfile& profile, bool save) {
            if (save) {
                QSettings settings;
                if (auto saved = profileStore.save(settings, profile); !saved)
                    window.statusBar()->showMessage(saved.error().message, 15000);
                window.setProfiles(loadProfiles(profileStore));
            }
            attachFromUser(session, window, store, profile);
        });
    QObject::connect(&window, &MainWindow::profileDeleteRequested, &window,
                     [&window, &profileStore](const QString& name) {
                         QSettings settings;
                         profileStore.remove(settings, name);
                         window.setProfiles(loadProfiles(profileStore));
                     });
}

// Sources (every source with its health; more are watched from here or --connect) and
// Drift (their reconciliation), with the drift counts in the status bar.
void addSourceSetPanels(MainWindow& window, SourceSet& set, Store& store) {
    SourcesPanel::Actions actions{
        .watch =
            [&set](const QString& url) {
                auto watched = set.watch(url);
                return watched ? QString() : watched.error().message;
            },
        .unwatch = [&set](int row) { set.unwatch(row); },
        .showInPanels =
            [&set, &window](int row) {
                const QString url = set.sources()->urlAt(row);
                set.showInPanels(row);
                window.connectionBar()->setUrl(url);
            },
    };
    window.addPanel(u"Sources"_s, new SourcesPanel(set.sources(), std::move(actions), &window));
    window.addPanel(u"Drift"_s, new DriftPanel(set.drift(), &store, &window));
    auto* drift = new QLabel(&window);
    drift->setObjectName(u"driftCounts"_s);
    drift->hide();
    window.statusBar()->addPermanentWidget(drift);
    QObject::connect(set.drift(), &DriftModel::countsChanged, drift, [drift, &set] {
        const DriftModel* d = set.drift();
        drift->setVisible(set.watchedCount() > 0);
        drift->setText(
            u"drift: %1 only in one · %2 differ"_s.arg(d->onlyInOne()).arg(d->differing()));
    });
}

// Workspaces: a named set of sources. Each is a saved profile's name (its TLS files and sealed
// password apply) or a URL; the first goes in the panels, the others are watched.
void wireWorkspaces(MainWindow& window, Session& session, Store& store, SourceSet& set,
                    const ProfileStore& profileStore) {
    const auto reload = [&window, &profileStore] {
        QSettings settings;
        window.setWorkspaces(profileStore.loadWorkspaces(settings));
    };
    reload();
    window.setCurrentSourcesProvider([&set, &session] {
        QStringList sources;
        for (int row = 0; row < set.sources()->rowCount(); ++row)
            sources.append(row == 0 && !session.profile().name.isEmpty()
                               ? session.profile().name
                               : set.sources()->urlAt(row));
        return sources;
    });
    QObject::connect(&window, &MainWindow::workspaceSaveRequested, &window,
                     [&window, &profileStore, reload](const Workspace& w) {
                         QSettings settings;
                         if (auto saved = profileStore.saveWorkspace(settings, w); !saved)
                             window.statusBar()->showMessage(saved.error().message, 15000);
                         reload();
                     });
    QObject::connect(&window, &MainWindow::workspaceDeleteRequested, &window,
                     [&profileStore, reload](const QString& name) {
                         QSettings settings;
                         profileStore.removeWorkspace(settings, name);
                         reload();
                     });
    QObject::connect(&window, &MainWindow::workspaceOpenRequested, &window,
                     [&window, &session, &store, &set, &profileStore](const Workspace& w) {
                         const QList<ConnectionProfile> saved = loadProfiles(profileStore);
                         const auto resolve = [&saved](const QString& source) {
                             for (const ConnectionProfile& p : saved)
                                 if (p.displayName() == source)
                                     return p;
                             ConnectionProfile typed;
                             typed.url = source;
                             return typed;
                         };
                         attachFromUser(session, window, store, resolve(w.sources.value(0)));
                         set.unwatchAll();
                         QStringList refused;
                         for (qsizetype i = 1; i < w.sources.size(); ++i)
                             if (auto watched = set.watch(resolve(w.sources[i])); !watched)
                                 refused.append(watched.error().message);
                         if (!refused.isEmpty())
                             window.statusBar()->showMessage(refused.join(u"; "_s), 15000);
                     });
}

int runScreenshot(const CommandLine& cl, MainWindow& window, Store& store,
                  const std::function<bool()>& probed) {
    // Deterministic pictures: the default layout and the asked theme, never saved.
    window.setTheme(cl.theme == u"dark" ? MainWindow::Theme::Dark : MainWindow::Theme::Light,
                    MainWindow::Remember::No);
    if (!cl.panel.isEmpty() && !window.showPanel(cl.panel)) {
        printError(u"no panel named '%1' (panels: %2)"_s.arg(cl.panel,
                                                             window.panelTitles().join(u", "_s)));
        return kExitUsage;
    }
    if (cl.size.isValid())
        window.resize(cl.size);
    window.show();
    const QString file = cl.screenshotFile;
    // Three samples: the charts have lines, the tables have rates; and every --load-plugin
    // has its verdict.
    const auto pluginsSettled = [&store, wanted = cl.loadPlugins.size()] {
        if (store.plugins().size() < wanted)
            return false;
        for (const PluginEvent& p : store.plugins())
            if (p.state == PluginState::Verifying || p.state == PluginState::Loading)
                return false;
        return true;
    };
    whenReady(
        &store, cl.deadlineMs,
        [&store, pluginsSettled, probed, snapshot = cl.url.trimmed().startsWith(u"file://")] {
            // A snapshot (file://) has all it will ever have once it is live.
            const bool charted =
                snapshot ? store.health().state == HealthState::Live : store.metrics().size() >= 3;
            return charted && pluginsSettled() && probed();
        },
        [&window, file](bool) {
            QApplication::processEvents();
            const QImage image = window.grab().toImage();
            if (!image.save(file, "PNG")) {
                printError(u"cannot write screenshot to %1"_s.arg(file));
                QApplication::exit(kExitIo);
                return;
            }
            QApplication::exit(0);
        });
    return QApplication::exec();
}

} // namespace

int runWindow(const CommandLine& cl) {
    const ProfileStore profileStore;
    Store store;
    Session session(&store);
    if (auto attached = session.attach(cl.url); !attached) {
        printError(attached.error().message);
        return kExitUsage;
    }

    MainWindow window;
    addStandardPanels(&window, &store);
#ifdef REGSCOPE_HAVE_PROBE
    // Off unless --probe (per session, never remembered: the hosts did not ask for it).
    ProbeFeeder probes(&store, cl.probeLimits);
    ProbeControl* probeControl = &probes;
    const std::function<bool()> probed = [&probes, &cl] { return !cl.probe || probes.allProbed(); };
#else
    ProbeControl* probeControl = nullptr;
    const std::function<bool()> probed = [] { return true; };
#endif
    addSourcePanels(&window, &store, session.broker(), session.actions(), cl.loadPlugins,
                    probeControl);
    window.setSourceUrl(session.url());
    QObject::connect(&session, &Session::sourceAttached, &window, &MainWindow::setSourceUrl);
    window.setStore(&store);
    window.setControlBroker(session.broker());
    window.setAttachLister([] { return attach::listAttachable(); });
    window.connectionBar()->setUrl(cl.url);
    window.setProfiles(loadProfiles(profileStore));
    wireProfiles(window, session, store, profileStore);
    SourceSet sources(&store, &session);
    for (qsizetype i = 1; i < cl.urls.size(); ++i) {
        if (auto watched = sources.watch(cl.urls[i]); !watched) {
            printError(watched.error().message);
            return kExitUsage;
        }
    }
    addSourceSetPanels(window, sources, store);
    addAllSourcesViews(window, sources);
    if (cl.allSources)
        window.setShowAllSources(true);
    wireWorkspaces(window, session, store, sources, profileStore);
    // File ▸ Save snapshot… writes every source of the window, the panels' first.
    window.setExtraSnapshotSources([&sources] {
        std::vector<std::pair<QString, const Store*>> out;
        for (qsizetype i = 0; i < sources.watchedCount(); ++i)
            out.emplace_back(sources.sources()->urlAt(int(i + 1)), sources.watchedStore(i));
        return out;
    });
    // Alerts: the rules the user saved (Settings ▸ Alerts…), judged from the store.
    QSettings settings;
    AlertEngine alerts(&store, AlertRules::load(settings));
    alerts.setSourceName([&session] { return session.url(); });
    installAlerts(&window, &alerts);

    if (cl.probe && probeControl)
        probeControl->setProbing(true);
    if (cl.mode == CommandLine::Mode::Screenshot)
        return runScreenshot(cl, window, store, probed);

    window.restoreLayout();
    if (!cl.theme.isEmpty())
        window.setTheme(cl.theme == u"dark" ? MainWindow::Theme::Dark : MainWindow::Theme::Light);
    if (!cl.panel.isEmpty())
        window.showPanel(cl.panel);
    if (cl.size.isValid())
        window.resize(cl.size);
    window.show();
    quitOnTerminationSignals(); // a logout's SIGTERM quits as Ctrl+Q does
    const int rc = QApplication::exec();
    window.setShowAllSources(false); // the merged views let go of the watched stores first
    session.detach();
    return rc;
}

} // namespace regscope
