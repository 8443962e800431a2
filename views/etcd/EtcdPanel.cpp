#include "views/etcd/EtcdPanel.h"

#include "views/etcd/EtcdClusterView.h"
#include "views/etcd/EtcdKeysView.h"
#include "views/etcd/EtcdTimeTravelView.h"

using namespace Qt::StringLiterals;

namespace regscope {

EtcdPanel::EtcdPanel(EtcdKeysModel* keys, EtcdClusterModel* cluster, EtcdMetricSeries* series,
                     EtcdTimeTravel* travel, QWidget* parent)
    : QTabWidget(parent)
    , m_keys(new EtcdKeysView(keys, this))
    , m_cluster(new EtcdClusterView(cluster, series, this))
    , m_travel(new EtcdTimeTravelView(travel, this)) {
    addTab(m_keys, u"Keys"_s);
    addTab(m_cluster, u"Cluster"_s);
    addTab(m_travel, u"Time travel"_s);
}

} // namespace regscope
