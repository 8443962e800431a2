#pragma once
// The etcd source's panel: Keys, Cluster and Time travel tabs. Built from models only; the
// app wires the models to the store and the connector (see the signals of each view).

#include <QTabWidget>

namespace regscope {

class EtcdClusterModel;
class EtcdClusterView;
class EtcdKeysModel;
class EtcdKeysView;
class EtcdMetricSeries;
class EtcdTimeTravel;
class EtcdTimeTravelView;

class EtcdPanel : public QTabWidget {
    Q_OBJECT
public:
    EtcdPanel(EtcdKeysModel* keys, EtcdClusterModel* cluster, EtcdMetricSeries* series,
              EtcdTimeTravel* travel, QWidget* parent = nullptr);

    EtcdKeysView* keysView() const { return m_keys; }
    EtcdClusterView* clusterView() const { return m_cluster; }
    EtcdTimeTravelView* timeTravelView() const { return m_travel; }

private:
    EtcdKeysView* m_keys;
    EtcdClusterView* m_cluster;
    EtcdTimeTravelView* m_travel;
};

} // namespace regscope
