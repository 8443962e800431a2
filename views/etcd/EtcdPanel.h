#pragma once
// The etcd source's panel: Keys, Cluster and Time travel tabs. Built from models, the store
// (load progress) and the control broker (cancel a load); it never sees a connector.

#include <QTabWidget>

namespace regscope {

class ControlBroker;
class Store;
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
    EtcdPanel(const Store* store, ControlBroker* broker, EtcdKeysModel* keys,
              EtcdClusterModel* cluster, EtcdMetricSeries* series, EtcdTimeTravel* travel,
              QWidget* parent = nullptr);

    EtcdKeysView* keysView() const { return m_keys; }
    EtcdClusterView* clusterView() const { return m_cluster; }
    EtcdTimeTravelView* timeTravelView() const { return m_travel; }

private:
    EtcdKeysView* m_keys;
    EtcdClusterView* m_cluster;
    EtcdTimeTravelView* m_travel;
};

} // namespace regscope
