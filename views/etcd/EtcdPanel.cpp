#include "views/etcd/EtcdPanel.h"

#include "models/SourceControls.h"
#include "models/Store.h"
#include "views/etcd/EtcdClusterView.h"
#include "views/etcd/EtcdKeysView.h"
#include "views/etcd/EtcdTimeTravelView.h"

using namespace Qt::StringLiterals;

namespace regscope {

EtcdPanel::EtcdPanel(const Store* store, ControlBroker* broker, EtcdKeysModel* keys,
                     EtcdClusterModel* cluster, EtcdMetricSeries* series, EtcdTimeTravel* travel,
                     QWidget* parent)
    : QTabWidget(parent)
    , m_keys(new EtcdKeysView(keys, this))
    , m_cluster(new EtcdClusterView(cluster, series, this))
    , m_travel(new EtcdTimeTravelView(travel, this)) {
    addTab(m_keys, u"Keys"_s);
    addTab(m_cluster, u"Cluster"_s);
    addTab(m_travel, u"Time travel"_s);
    connect(store, &Store::progressChanged, m_keys, [this](const ProgressEvent& p) {
        m_keys->setSnapshotProgress(p.finished ? 0 : p.done, p.finished ? 0 : p.total);
    });
    connect(m_keys, &EtcdKeysView::cancelSnapshotRequested, broker,
            [broker] { broker->controls()->cancelLoad(); });
}

} // namespace regscope
