#include "views/instances/InstancesView.h"

#include "models/Store.h"
#include "models/instances/InstanceFilterProxy.h"
#include "models/instances/InstanceModel.h"
#include "models/instances/InstanceTimelineModel.h"
#include "models/instances/ProtectionStatus.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QSet>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QTableView* timelineTable(InstanceTimelineModel* model, QWidget* parent) {
    auto* view = new QTableView(parent);
    view->setModel(model);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setWordWrap(false);
    return view;
}

} // namespace

InstancesView::InstancesView(Store* store, QWidget* parent)
    : QWidget(parent)
    , m_store(store)
    , m_model(new InstanceModel(store, this))
    , m_proxy(new InstanceFilterProxy(this))
    , m_registers(new InstanceTimelineModel(store, u"instance-register"_s, 1000, this))
    , m_cancels(new InstanceTimelineModel(store, u"instance-cancel"_s, 1000, this))
    , m_evictions(new InstanceTimelineModel(store, u"instance-evict"_s, 1000, this))
    , m_banner(new QLabel(this))
    , m_summary(new QLabel(this))
    , m_appFilter(new QLineEdit(this))
    , m_zoneFilter(new QComboBox(this))
    , m_statusFilter(new QComboBox(this))
    , m_staleOnly(new QCheckBox(tr("Stale only"), this))
    , m_tree(new QTreeView(this))
    , m_tabs(new QTabWidget(this)) {
    setObjectName(u"InstancesView"_s);
    m_proxy->setSourceModel(m_model);

    // Impossible to miss, like Eureka's red self-preservation line.
    m_banner->setObjectName(u"selfProtectionBanner"_s);
    m_banner->setWordWrap(true);
    m_banner->setStyleSheet(u"QLabel { background: #c62828; color: white; font-weight: bold;"
                            " padding: 8px; border-radius: 3px; }"_s);
    m_banner->hide();

    m_appFilter->setPlaceholderText(tr("Filter by appid"));
    m_appFilter->setClearButtonEnabled(true);
    m_zoneFilter->addItem(tr("All zones"), QString());
    m_statusFilter->addItem(tr("Any status"), 0);
    m_statusFilter->addItem(tr("UP"), 1);
    m_statusFilter->addItem(tr("WAITING"), 2);

    auto* filters = new QHBoxLayout;
    filters->addWidget(m_appFilter, 2);
    filters->addWidget(m_zoneFilter, 1);
    filters->addWidget(m_statusFilter, 1);
    filters->addWidget(m_staleOnly);
    filters->addStretch();
    filters->addWidget(m_summary);

    m_tree->setModel(m_proxy);
    m_tree->setSortingEnabled(true);
    m_tree->sortByColumn(InstanceModel::NameColumn, Qt::AscendingOrder);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->header()->setSectionResizeMode(QHeaderView::Interactive);
    m_tree->header()->resizeSection(InstanceModel::NameColumn, 220);
    m_tree->header()->resizeSection(InstanceModel::AddrsColumn, 200);
    m_tree->header()->resizeSection(InstanceModel::RegisteredColumn, 150);
    m_tree->header()->resizeSection(InstanceModel::EvictionColumn, 170);

    m_tabs->addTab(timelineTable(m_registers, m_tabs), tr("Registers"));
    m_tabs->addTab(timelineTable(m_cancels, m_tabs), tr("Cancels"));
    m_tabs->addTab(timelineTable(m_evictions, m_tabs), tr("Evictions"));

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_tree);
    split->addWidget(m_tabs);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_banner);
    layout->addLayout(filters);
    layout->addWidget(split, 1);

    connect(m_appFilter, &QLineEdit::textChanged, m_proxy, &InstanceFilterProxy::setAppIdFilter);
    connect(m_zoneFilter, &QComboBox::currentIndexChanged, this,
            [this] { m_proxy->setZoneFilter(m_zoneFilter->currentData().toString()); });
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this,
            [this] { m_proxy->setStatusFilter(m_statusFilter->currentData().toInt()); });
    connect(m_staleOnly, &QCheckBox::toggled, m_proxy, &InstanceFilterProxy::setStaleOnly);
    connect(store, &Store::metricsSampled, this, &InstancesView::onMetrics);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this] {
        refreshZones();
        m_tree->expandAll();
    });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &InstancesView::refreshSummary);
    // Ages tick every second; the stale count is recounted at that pace, not per dataChanged.
    auto* summaryTimer = new QTimer(this);
    connect(summaryTimer, &QTimer::timeout, this, &InstancesView::refreshSummary);
    summaryTimer->start(1000);
    for (auto it = store->metricsHistory().rbegin(); it != store->metricsHistory().rend(); ++it)
        if (ProtectionStatus::fromSample(*it)) {
            onMetrics(*it);
            break;
        }
    refreshZones();
    refreshSummary();
    m_tree->expandAll();
}

InstancesView::~InstancesView() = default;

InstanceTimelineModel* InstancesView::timeline(const QString& category) const {
    for (auto* m : {m_registers, m_cancels, m_evictions})
        if (m->category() == category)
            return m;
    return nullptr;
}

bool InstancesView::bannerShown() const {
    return !m_banner->isHidden();
}

QString InstancesView::bannerText() const {
    return m_banner->text();
}

QString InstancesView::summaryText() const {
    return m_summary->text();
}

void InstancesView::onMetrics(const MetricsSample& sample) {
    const auto status = ProtectionStatus::fromSample(sample);
    if (!status)
        return;
    if (!status->on) {
        m_banner->hide();
        return;
    }
    const QString window = status->windowSeconds == 60 ? tr("last minute")
                                                       : tr("last %1 s").arg(status->windowSeconds);
    m_banner->setText(
        tr("SELF-PROTECTION ON: renews %1: %2, below the threshold of %3. Evictions are "
           "suspended. If protection lifted now, %4 instance(s) would be evicted.")
            .arg(window)
            .arg(status->renewsLastWindow)
            .arg(status->threshold)
            .arg(status->wouldEvictIfLifted()));
    m_banner->show();
}

void InstancesView::refreshSummary() {
    const int total = m_model->instanceCount();
    const int stale = m_model->staleCount();
    m_summary->setText(
        stale > 0 ? tr("%1 instances, <b style='color:#b01c1c'>%2 stale</b>").arg(total).arg(stale)
                  : tr("%1 instances").arg(total));
}

void InstancesView::refreshZones() {
    QSet<QString> zones;
    for (int a = 0; a < m_model->rowCount(); ++a) {
        const QModelIndex app = m_model->index(a, 0);
        for (int i = 0; i < m_model->rowCount(app); ++i)
            zones.insert(m_model->index(i, 0, app).data(InstanceModel::ZoneRole).toString());
    }
    for (int i = 1; i < m_zoneFilter->count(); ++i)
        zones.remove(m_zoneFilter->itemData(i).toString());
    QStringList fresh(zones.begin(), zones.end());
    fresh.sort();
    for (const auto& z : fresh)
        m_zoneFilter->addItem(z, z);
    refreshSummary();
}

} // namespace regscope
