#pragma once
// The on-call instances panel: filters (appid, zone, status, stale), a red banner while the
// discovery server's self-protection is on, the app → instance tree with ticking renew ages
// and stale marks, and the registers / cancels / evictions timeline.

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QTabWidget;
class QTreeView;

namespace regscope {

class Store;
class InstanceModel;
class InstanceFilterProxy;
class InstanceTimelineModel;
struct MetricsSample;

class InstancesView : public QWidget {
    Q_OBJECT
public:
    explicit InstancesView(Store* store, QWidget* parent = nullptr);
    ~InstancesView() override;

    InstanceModel* model() const { return m_model; }
    InstanceFilterProxy* proxy() const { return m_proxy; }
    InstanceTimelineModel* timeline(const QString& category) const;
    QTreeView* tree() const { return m_tree; }
    bool bannerShown() const;
    QString bannerText() const;
    QString summaryText() const;

private:
    void onMetrics(const MetricsSample& sample);
    void refreshSummary();
    void refreshZones();

    Store* m_store;
    InstanceModel* m_model;
    InstanceFilterProxy* m_proxy;
    InstanceTimelineModel* m_registers;
    InstanceTimelineModel* m_cancels;
    InstanceTimelineModel* m_evictions;
    QLabel* m_banner;
    QLabel* m_summary;
    QLineEdit* m_appFilter;
    QComboBox* m_zoneFilter;
    QComboBox* m_statusFilter;
    QCheckBox* m_staleOnly;
    QTreeView* m_tree;
    QTabWidget* m_tabs;
};

} // namespace regscope
