#include "app/regscope/SourcePanels.h"

#include "models/ProbeControl.h"
#include "models/SourceControls.h"
#include "models/Store.h"
#include "views/MainWindow.h"

#ifdef REGSCOPE_HAVE_DISCOVERY
#include "views/actions/InstanceActions.h"
#include "views/instances/InstancesView.h"
#endif
#ifdef REGSCOPE_HAVE_LOADER
#include "connectors/loader/PluginSupervisor.h"
#include "models/plugins/PluginModel.h"
#include "views/plugins/PluginsPanel.h"
#endif
#ifdef REGSCOPE_HAVE_ETCD
#include "models/etcd/EtcdClusterModel.h"
#include "models/etcd/EtcdKeyTreeModel.h"
#include "models/etcd/EtcdKeysModel.h"
#include "models/etcd/EtcdMetricSeries.h"
#include "models/etcd/EtcdTimeTravel.h"
#include "views/actions/EtcdKeyActions.h"
#include "views/etcd/EtcdKeyTreeView.h"
#include "views/etcd/EtcdKeysView.h"
#include "views/etcd/EtcdPanel.h"
#endif

#include "views/actions/ActionProgress.h"
#include "views/actions/ActionRunner.h"
#include "views/actions/WriteToggle.h"

#include <QDir>
#include <QKeySequence>
#include <QLabel>
#include <QPointer>
#include <QStandardPaths>
#include <QStatusBar>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

#ifdef REGSCOPE_HAVE_LOADER
void addPluginsPanel(MainWindow* window, Store* store, const QStringList& loadPlugins) {
    auto* model = new PluginModel(window);
    model->setStore(store);
    SupervisorOptions options;
    const QString dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (!dataDir.isEmpty() && QDir().mkpath(dataDir))
        options.logFilePath = dataDir + u"/plugins.log"_s;
    auto* supervisor = new PluginSupervisor(options, window);
    // Plugin states, verdicts and timeline lines go through the Store, as a connector's do.
    QObject::connect(supervisor, &PluginSupervisor::eventsReady, store, &Store::apply);
    // Collisions are reported against the names of the attached registry.
    supervisor->setKnownNamesProvider([store] {
        QStringList names;
        store->forEach(RecordKind::Entry,
                       [&names](const Record& r) { names.append(std::get<EntryRecord>(r).name); });
        names.removeDuplicates();
        return names;
    });
    auto* panel = new PluginsPanel(model, supervisor, window);
    panel->setDemoDirectory(QStringLiteral(REGSCOPE_DEMO_PLUGIN_DIR));
    window->addPanel(u"Plugins"_s, panel, QKeySequence(u"Alt+8"_s));
    for (const QString& path : loadPlugins)
        supervisor->loadFile(path);
}
#endif

#ifdef REGSCOPE_HAVE_ETCD
void addEtcdPanel(MainWindow* window, Store* store, ControlBroker* broker, ActionRunner* runner) {
    auto* keys = new EtcdKeysModel(window);
    keys->setStore(store);
    auto* cluster = new EtcdClusterModel(window);
    cluster->setStore(store);
    auto* series = new EtcdMetricSeries(900, window);
    series->setStore(store);
    auto* travel = new EtcdTimeTravel(broker, window);
    auto* panel = new EtcdPanel(store, broker, keys, cluster, series, travel, window);
    // The key tree with its actions (edit, create, delete, folder delete, history, leases);
    // the actions follow the attached source.
    auto* tree = new EtcdKeyTreeModel(window);
    tree->setStore(store);
    EtcdKeyActions* keyActions =
        runner ? new EtcdKeyActions(runner, broker->source(), window) : nullptr;
    if (keyActions)
        QObject::connect(broker, &ControlBroker::controlsChanged, keyActions,
                         [keyActions, broker] { keyActions->setSource(broker->source()); });
    panel->insertTab(1, new EtcdKeyTreeView(tree, keyActions, panel), u"Key tree"_s);
    window->addPanel(u"etcd"_s, panel, QKeySequence(u"Alt+9"_s));
}
#endif

// The write toggle of the attached source, in the status bar; a new one for each source
// (never remembered: every source opens read-only).
void addWriteToggle(MainWindow* window, ControlBroker* broker, ActionControl* actions) {
    auto holder = std::make_shared<QPointer<WriteToggle>>();
    const auto place = [window, broker, actions, holder] {
        delete holder->data();
        if (broker->source().isEmpty())
            return;
        *holder = new WriteToggle(actions, broker->source(), window);
        window->statusBar()->insertPermanentWidget(0, holder->data());
    };
    QObject::connect(broker, &ControlBroker::controlsChanged, window, place);
    place();
}

// A badge while addresses are being probed: whatever panel is shown, the user knows.
void addProbeBadge(MainWindow* window, ProbeControl* probes) {
    auto* badge = new QLabel(window);
    badge->setObjectName(u"probeBadge"_s);
    badge->setToolTip(QObject::tr("Registered addresses are being probed (Instances panel)"));
    const auto refresh = [badge, probes] {
        badge->setVisible(probes->probing());
        badge->setText(QObject::tr("<b>PROBING</b> %1 addr · %2/s")
                           .arg(probes->addressCount())
                           .arg(probes->limits().ratePerSecond));
    };
    QObject::connect(probes, &ProbeControl::probingChanged, badge, refresh);
    QObject::connect(probes, &ProbeControl::addressCountChanged, badge, refresh);
    window->statusBar()->insertPermanentWidget(0, badge);
    refresh();
}

} // namespace

void addSourcePanels(MainWindow* window, Store* store, ControlBroker* broker,
                     ActionControl* actions, const QStringList& loadPlugins, ProbeControl* probes) {
    ActionRunner* runner = actions ? new ActionRunner(actions, window) : nullptr;
    if (actions) {
        addWriteToggle(window, broker, actions);
        // Shown while an action is out, with its Cancel.
        window->statusBar()->insertPermanentWidget(0, new ActionProgress(runner, window));
    }
#ifdef REGSCOPE_HAVE_DISCOVERY
    auto* instances = new InstancesView(store, window);
    if (runner) {
        // cancel / set / register for the attached source, through the same confirmation.
        auto* instanceActions = new InstanceActions(runner, broker->source(), window);
        QObject::connect(
            broker, &ControlBroker::controlsChanged, instanceActions,
            [instanceActions, broker] { instanceActions->setSource(broker->source()); });
        instances->setActions(instanceActions);
    }
    instances->setProbeControl(probes);
    if (probes)
        addProbeBadge(window, probes);
    window->addPanel(u"Instances"_s, instances, QKeySequence(u"Alt+7"_s));
#endif
#ifdef REGSCOPE_HAVE_LOADER
    addPluginsPanel(window, store, loadPlugins);
#endif
#ifdef REGSCOPE_HAVE_ETCD
    addEtcdPanel(window, store, broker, runner);
#endif
    Q_UNUSED(store);
    Q_UNUSED(broker);
    Q_UNUSED(runner);
    Q_UNUSED(loadPlugins);
    Q_UNUSED(probes);
}

} // namespace regscope
