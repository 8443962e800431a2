#pragma once
// The on-call instances panel: filters (appid, zone, status, stale, unreachable), the opt-in
// probe toggle and its indicator, a red banner while the
// discovery server's self-protection is on, how fresh the data is, the app → instance tree
// with renew ages and stale verdicts, a detail pane for the selected instance, and the
// registers / cancels / evictions timeline. With InstanceActions set, the tree's context menu
// cancels the selected instances, sets their status / metadata, or registers a test instance.

#include "models/actions/ActionTypes.h"

#include <QList>
#include <QSet>
#include <QString>
#include <QTimer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
class QModelIndex;
class QPlainTextEdit;
class QTabWidget;
class QTreeView;

namespace regscope {

class Store;
class ProbeControl;
class InstanceActions;
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
    QString freshnessText() const;
    QString detailText() const;
    // Apps the user collapsed: they stay collapsed across refreshes and source switches.
    // Groups open by themselves while the panel holds at most 20,000 instances.
    const QSet<QString>& collapsedApps() const { return m_collapsed; }

    // The discovery actions of the attached source (null: none, the menu says so).
    void setActions(InstanceActions* actions) { m_actions = actions; }
    // The reality check (null: this build cannot probe; no toggle shown). Off until the user
    // turns it on; while on, a label says so and the Probe column shows the verdicts.
    void setProbeControl(ProbeControl* probes);
    QCheckBox* probeToggle() const { return m_probeToggle; }
    QCheckBox* unreachableOnly() const { return m_unreachableOnly; }
    QString probeIndicatorText() const; // empty while not probing
    // The selected discovery instances; an app row stands for each of its instances shown.
    QList<InstanceRef> selectedInstances() const;
    // The context menu for the selection (the caller owns it; tests trigger its actions).
    QMenu* menuForSelection();

protected:
    void changeEvent(QEvent* event) override;

private:
    void setUpTree();
    void wire();
    void onMetrics(const MetricsSample& sample);
    void onStoreCleared();
    void refreshSummary();
    void refreshProbing();
    void refreshZones();
    void refreshFreshness();
    void refreshDetail();
    void restyle();
    void expandInserted(const QModelIndex& parent, int first, int last);

    Store* m_store;
    InstanceActions* m_actions = nullptr;
    InstanceModel* m_model;
    InstanceFilterProxy* m_proxy;
    InstanceTimelineModel* m_registers;
    InstanceTimelineModel* m_cancels;
    InstanceTimelineModel* m_evictions;
    QLabel* m_banner;
    QLabel* m_freshness;
    QLabel* m_summary;
    QLineEdit* m_appFilter;
    QComboBox* m_zoneFilter;
    QComboBox* m_statusFilter;
    QCheckBox* m_staleOnly;
    QCheckBox* m_unreachableOnly;
    QCheckBox* m_probeToggle;
    QLabel* m_probeIndicator;
    ProbeControl* m_probes = nullptr;
    QTreeView* m_tree;
    QPlainTextEdit* m_detail;
    QTabWidget* m_tabs;
    QTimer m_repaint;
    static constexpr int kAutoExpandInstances = 20'000;
    QSet<QString> m_collapsed; // by the user
    QSet<QString> m_expanded;  // by the user
    bool m_autoExpanding = false;
    bool m_autoOpen = true;
    QString m_detailId;
};

} // namespace regscope
