#include "views/etcd/EtcdPanel.h"

#include "models/SourceControls.h"
#include "models/Store.h"
#include "views/EmptyHint.h"
#include "views/etcd/EtcdClusterView.h"
#include "views/etcd/EtcdKeysView.h"
#include "views/etcd/EtcdTimeTravelView.h"

#include <QTableView>

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
    new EmptyHint(m_keys->table(), store, [store] {
        if (store->count(RecordKind::Key) > 0)
            return u"No key matches the filter."_s;
        return emptySourceReason(*store, u"etcd keys"_s,
                                 u"The etcd panel shows the keys, cluster and history of an etcd "
                                 u"v3 cluster: etcd://host:2379/prefix."_s);
    });
    connect(m_keys, &EtcdKeysView::cancelSnapshotRequested, broker,
            [broker] { broker->controls()->cancelLoad(); });
}

} // namespace regscope
