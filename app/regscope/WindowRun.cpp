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
#include "app/regscope/WhenReady.h"
#include "connectors/attach/AttachDiscovery.h"
#include "models/ProbeControl.h"
#include "models/Store.h"
#include "views/ConnectionBar.h"
#include "views/MainWindow.h"
#include "views/StandardPanels.h"

#include <QApplication>
#include <QImage>
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
        [&store, pluginsSettled, probed] {
            return store.metrics().size() >= 3 && pluginsSettled() && probed();
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
    window.setStore(&store);
    window.setControlBroker(session.broker());
    window.setAttachLister([] { return attach::listAttachable(); });
    window.connectionBar()->setUrl(cl.url);
    window.setProfiles(loadProfiles(profileStore));
    wireProfiles(window, session, store, profileStore);

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
    session.detach();
    return rc;
}

} // namespace regscope
