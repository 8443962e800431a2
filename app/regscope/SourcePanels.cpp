#include "app/regscope/SourcePanels.h"

#include "models/SourceControls.h"
#include "models/Store.h"
#include "views/MainWindow.h"

#ifdef REGSCOPE_HAVE_DISCOVERY
#include "views/instances/InstancesView.h"
#endif
#ifdef REGSCOPE_HAVE_LOADER
#include "connectors/loader/PluginSupervisor.h"
#include "models/plugins/PluginModel.h"
#include "views/plugins/PluginsPanel.h"
#endif
#ifdef REGSCOPE_HAVE_ETCD
#include "models/etcd/EtcdClusterModel.h"
#include "models/etcd/EtcdKeysModel.h"
#include "models/etcd/EtcdMetricSeries.h"
#include "models/etcd/EtcdTimeTravel.h"
#include "views/etcd/EtcdKeysView.h"
#include "views/etcd/EtcdPanel.h"
#endif

#include <QDir>
#include <QKeySequence>
#include <QStandardPaths>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

#ifdef REGSCOPE_HAVE_LOADER
void addPluginsPanel(MainWindow* window, Store* store) {
    auto* model = new PluginModel(window);
    SupervisorOptions options;
    const QString dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (!dataDir.isEmpty() && QDir().mkpath(dataDir))
        options.logFilePath = dataDir + u"/plugins.log"_s;
    auto* supervisor = new PluginSupervisor(model, options, window);
    // Every loader's stages and verdicts also land on the app's timeline.
    QObject::connect(supervisor, &PluginSupervisor::timelineEvent, store,
                     [store](const TimelineEvent& event) {
                         auto batch = std::make_shared<EventBatch>();
                         batch->emplace_back(event);
                         store->apply(std::move(batch));
                     });
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
}
#endif

#ifdef REGSCOPE_HAVE_ETCD
void addEtcdPanel(MainWindow* window, Store* store, ControlBroker* broker) {
    auto* keys = new EtcdKeysModel(window);
    keys->setStore(store);
    auto* cluster = new EtcdClusterModel(window);
    cluster->setStore(store);
    auto* series = new EtcdMetricSeries(900, window);
    series->setStore(store);
    auto* travel = new EtcdTimeTravel(broker, window);
    auto* panel = new EtcdPanel(store, broker, keys, cluster, series, travel, window);
    window->addPanel(u"etcd"_s, panel, QKeySequence(u"Alt+9"_s));
}
#endif

} // namespace

void addSourcePanels(MainWindow* window, Store* store, ControlBroker* broker) {
#ifdef REGSCOPE_HAVE_DISCOVERY
    window->addPanel(u"Instances"_s, new InstancesView(store, window), QKeySequence(u"Alt+7"_s));
#endif
#ifdef REGSCOPE_HAVE_LOADER
    addPluginsPanel(window, store);
#endif
#ifdef REGSCOPE_HAVE_ETCD
    addEtcdPanel(window, store, broker);
#endif
    Q_UNUSED(store);
    Q_UNUSED(broker);
}

} // namespace regscope
