#include "views/instances/InstancesView.h"

#include "models/ProbeControl.h"
#include "models/Store.h"
#include "models/instances/InstanceFilterProxy.h"
#include "models/instances/InstanceModel.h"
#include "models/instances/InstanceTimelineModel.h"
#include "models/instances/ProtectionStatus.h"
#include "views/EmptyHint.h"
#include "views/ExportUi.h"
#include "views/TableActions.h"
#include "views/Theme.h"
#include "views/actions/InstanceActions.h"
#include "views/instances/InstanceDetail.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QTableView* timelineTable(InstanceTimelineModel* model, Store* store, const QString& what,
                          QWidget* parent) {
    auto* view = new QTableView(parent);
    new EmptyHint(view, store, [what] {
        return InstancesView::tr("No %1 since attached. The first fetch is the state, not a "
                                 "burst; what changes after it is listed here.")
            .arg(what);
    });
    view->setModel(model);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setWordWrap(false);
    installTableActions(view, 0);
    return view;
}

QString css(const QColor& c) {
    return c.name(QColor::HexRgb);
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
    , m_freshness(new QLabel(this))
    , m_summary(new QLabel(this))
    , m_appFilter(new QLineEdit(this))
    , m_zoneFilter(new QComboBox(this))
    , m_statusFilter(new QComboBox(this))
    , m_staleOnly(new QCheckBox(tr("Stale only"), this))
    , m_unreachableOnly(new QCheckBox(tr("Registered but unreachable"), this))
    , m_probeToggle(new QCheckBox(tr("Probe registered addresses"), this))
    , m_probeIndicator(new QLabel(this))
    , m_tree(new QTreeView(this))
    , m_detail(new QPlainTextEdit(this))
    , m_tabs(new QTabWidget(this))
    , m_repaint(this) {
    setObjectName(u"InstancesView"_s);
    m_proxy->setSourceModel(m_model);

    // Impossible to miss, like Eureka's red self-preservation line.
    m_banner->setObjectName(u"selfProtectionBanner"_s);
    m_banner->setWordWrap(true);
    m_banner->hide();
    m_freshness->setObjectName(u"instancesFreshness"_s);
    // Probing is opt-in: the toggle shows once the composition root hands a ProbeControl.
    m_probeToggle->setObjectName(u"probeToggle"_s);
    m_probeToggle->setToolTip(
        tr("Probe every registered address: http(s) GETs a health path (below 500 is up), "
           "grpc calls grpc.health.v1.Health/Check, anything else is a TCP connect. Off by "
           "default: the hosts at the other end have not asked to be probed."));
    m_probeToggle->hide();
    m_unreachableOnly->setObjectName(u"unreachableOnly"_s);
    m_unreachableOnly->setToolTip(tr("Instances whose probe was refused or timed out"));
    m_unreachableOnly->hide();
    m_probeIndicator->setObjectName(u"probeIndicator"_s);
    m_probeIndicator->hide();

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
    filters->addWidget(m_unreachableOnly);
    filters->addStretch();
    filters->addWidget(m_probeToggle);
    filters->addWidget(m_probeIndicator);
    filters->addWidget(m_freshness);
    filters->addWidget(m_summary);

    setUpTree();
    new EmptyHint(m_tree, store, [store] {
        if (store->count(RecordKind::Instance) > 0)
            return tr("No instance matches the filters.");
        return emptySourceReason(
            *store, tr("instances"),
            tr("Instances shows service instances of a discovery server (http://host:7171) or of "
               "etcd keys laid out as services (etcd://host:2379/?services=/services/)."));
    });

    m_detail->setObjectName(u"instanceDetail"_s);
    m_detail->setReadOnly(true);
    m_detail->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_detail->setPlaceholderText(tr("Select an instance to see its metadata, every address, "
                                    "its timestamps and the raw record."));

    m_tabs->addTab(timelineTable(m_registers, store, tr("registers"), m_tabs), tr("Registers"));
    m_tabs->addTab(timelineTable(m_cancels, store, tr("cancels"), m_tabs), tr("Cancels"));
    m_tabs->addTab(timelineTable(m_evictions, store, tr("evictions"), m_tabs), tr("Evictions"));

    auto* top = new QSplitter(Qt::Horizontal, this);
    top->addWidget(m_tree);
    top->addWidget(m_detail);
    top->setStretchFactor(0, 5);
    top->setStretchFactor(1, 1);
    top->setSizes({1000, 220}); // the tree's columns first; the pane widens on demand
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(m_tabs);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_banner);
    layout->addLayout(filters);
    layout->addWidget(split, 1);

    wire();
    const auto history = store->metricsHistory();
    for (auto it = history.rbegin(); it != history.rend(); ++it)
        if (ProtectionStatus::fromSample(*it)) {
            onMetrics(*it);
            break;
        }
    restyle();
    refreshZones();
    refreshSummary();
    refreshFreshness();
    expandInserted({}, 0, m_proxy->rowCount() - 1);
}

InstancesView::~InstancesView() = default;

void InstancesView::setUpTree() {
    m_tree->setModel(m_proxy);
    useStateColours(m_tree);
    m_tree->setSortingEnabled(true);
    m_tree->sortByColumn(InstanceModel::NameColumn, Qt::AscendingOrder);
    m_tree->setUniformRowHeights(true);
    m_tree->setAlternatingRowColors(true);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    m_tree->header()->setSectionResizeMode(QHeaderView::Interactive);
    m_tree->header()->resizeSection(InstanceModel::NameColumn, 200);
    m_tree->header()->resizeSection(InstanceModel::ZoneColumn, 70);
    m_tree->header()->resizeSection(InstanceModel::EnvColumn, 60);
    m_tree->header()->resizeSection(InstanceModel::AddrsColumn, 170);
    m_tree->header()->resizeSection(InstanceModel::VersionColumn, 70);
    m_tree->header()->resizeSection(InstanceModel::StatusColumn, 120);
    m_tree->header()->resizeSection(InstanceModel::RegisteredColumn, 140);
    m_tree->header()->resizeSection(InstanceModel::RenewAgeColumn, 80);
    m_tree->header()->resizeSection(InstanceModel::StaleColumn, 150);
    m_tree->header()->resizeSection(InstanceModel::EvictionColumn, 150);
    m_tree->header()->resizeSection(InstanceModel::ProbeColumn, 120);
    // Shown beside the addresses it checked (the model keeps it last: column numbers stay).
    m_tree->header()->moveSection(m_tree->header()->visualIndex(InstanceModel::ProbeColumn),
                                  InstanceModel::AddrsColumn + 1);
    m_tree->setColumnHidden(InstanceModel::ProbeColumn, true); // until probing is on
}

void InstancesView::setProbeControl(ProbeControl* probes) {
    m_probes = probes;
    m_probeToggle->setVisible(probes != nullptr);
    if (!probes)
        return;
    m_probeToggle->setChecked(probes->probing());
    connect(m_probeToggle, &QCheckBox::toggled, probes, &ProbeControl::setProbing);
    connect(probes, &ProbeControl::probingChanged, this, [this](bool on) {
        const QSignalBlocker quiet(m_probeToggle);
        m_probeToggle->setChecked(on);
        refreshProbing();
    });
    connect(probes, &ProbeControl::addressCountChanged, this, &InstancesView::refreshProbing);
    refreshProbing();
}

QString InstancesView::probeIndicatorText() const {
    return m_probeIndicator->isHidden() ? QString() : m_probeIndicator->text();
}

void InstancesView::refreshProbing() {
    const bool on = m_probes && m_probes->probing();
    m_tree->setColumnHidden(InstanceModel::ProbeColumn, !on);
    m_unreachableOnly->setVisible(on);
    if (!on && m_unreachableOnly->isChecked())
        m_unreachableOnly->setChecked(false);
    m_probeIndicator->setVisible(on);
    if (on) {
        const ProbeLimits l = m_probes->limits();
        m_probeIndicator->setText(
            tr("Probing %n address(es) (%1/s, %2 at once)", nullptr, m_probes->addressCount())
                .arg(l.ratePerSecond)
                .arg(l.maxInFlight));
        m_probeIndicator->setStyleSheet(
            u"QLabel { background: %1; color: %2; font-weight: bold; padding: 2px 6px;"
            " border-radius: 3px; }"_s.arg(css(theme::background(ItemState::Info)),
                                           css(theme::text(ItemState::Info))));
    }
    refreshSummary();
}

void InstancesView::wire() {
    connect(m_appFilter, &QLineEdit::textChanged, m_proxy, &InstanceFilterProxy::setAppIdFilter);
    connect(m_zoneFilter, &QComboBox::currentIndexChanged, this,
            [this] { m_proxy->setZoneFilter(m_zoneFilter->currentData().toString()); });
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this,
            [this] { m_proxy->setStatusFilter(m_statusFilter->currentData().toInt()); });
    connect(m_staleOnly, &QCheckBox::toggled, m_proxy, &InstanceFilterProxy::setStaleOnly);
    connect(m_unreachableOnly, &QCheckBox::toggled, m_proxy,
            &InstanceFilterProxy::setUnreachableOnly);
    connect(m_store, &Store::probesChanged, this, &InstancesView::refreshSummary);
    connect(m_store, &Store::metricsSampled, this, &InstancesView::onMetrics);
    connect(m_store, &Store::cleared, this, &InstancesView::onStoreCleared);
    // The freshness line shows only while there are instances: a count that leaves or reaches
    // zero changes it as much as a new sample does (which may come first, in its own flush).
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex& where) {
        if (!where.isValid())
            refreshZones();
        refreshSummary();
        refreshFreshness();
    });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, [this] {
        refreshZones();
        refreshSummary();
        refreshFreshness();
    });
    connect(m_model, &QAbstractItemModel::dataChanged, this, [this] { refreshDetail(); });
    connect(m_model, &InstanceModel::freshnessChanged, this, &InstancesView::refreshFreshness);
    // Groups open by default (up to kAutoExpandInstances) and keep what the user chose, by
    // appid, whatever the proxy or the source does to their rows.
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &InstancesView::expandInserted);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this,
            [this] { expandInserted({}, 0, m_proxy->rowCount() - 1); });
    connect(m_tree, &QTreeView::collapsed, this, [this](const QModelIndex& i) {
        if (m_autoExpanding)
            return;
        m_collapsed.insert(i.data(InstanceModel::AppIdRole).toString());
        m_expanded.remove(i.data(InstanceModel::AppIdRole).toString());
    });
    connect(m_tree, &QTreeView::expanded, this, [this](const QModelIndex& i) {
        if (m_autoExpanding)
            return;
        m_collapsed.remove(i.data(InstanceModel::AppIdRole).toString());
        m_expanded.insert(i.data(InstanceModel::AppIdRole).toString());
    });
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this] { refreshDetail(); });
    connect(m_tree, &QWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
        const QModelIndex at = m_tree->indexAt(pos);
        if (at.isValid() && !m_tree->selectionModel()->isRowSelected(at.row(), at.parent()))
            m_tree->selectionModel()->select(at, QItemSelectionModel::ClearAndSelect |
                                                     QItemSelectionModel::Rows);
        QMenu* menu = menuForSelection();
        menu->addSeparator();
        addExportMenus(menu, m_tree); // Copy as / Save as CSV or JSON
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_tree->viewport()->mapToGlobal(pos));
    });
    // Ages and countdowns are derived when painted: repaint what is on screen once a second,
    // never signal every row.
    connect(&m_repaint, &QTimer::timeout, this, [this] {
        if (m_tree->isVisible())
            m_tree->viewport()->update();
        refreshSummary();
        refreshFreshness();
    });
    m_repaint.start(1000);
}

QList<InstanceRef> InstancesView::selectedInstances() const {
    QList<InstanceRef> out;
    QSet<QString> seen;
    const auto add = [&](const QModelIndex& proxyIndex) {
        const InstanceRecord* r = m_model->recordAt(m_proxy->mapToSource(proxyIndex));
        if (!r || r->source != u"discovery"_s)
            return;
        const QString id = r->zone + u'\n' + r->env + u'\n' + r->appid + u'\n' + r->hostname;
        if (!seen.contains(id)) {
            seen.insert(id);
            out.append(InstanceRef{r->zone, r->env, r->appid, r->hostname});
        }
    };
    for (const QModelIndex& row : m_tree->selectionModel()->selectedRows()) {
        if (row.data(InstanceModel::IsAppRole).toBool()) {
            for (int i = 0; i < m_proxy->rowCount(row); ++i)
                add(m_proxy->index(i, 0, row));
        } else {
            add(row);
        }
    }
    return out;
}

QMenu* InstancesView::menuForSelection() {
    auto* menu = new QMenu(this);
    const QList<InstanceRef> selected = selectedInstances();
    bool fromEtcd = false;
    for (const QModelIndex& row : m_tree->selectionModel()->selectedRows())
        if (const InstanceRecord* r = m_model->recordAt(m_proxy->mapToSource(row)))
            fromEtcd = fromEtcd || r->source != u"discovery"_s;
    // Why an action is off, said first, where the eye lands.
    QString why;
    if (!m_actions)
        why = tr("Actions: none for this source");
    else if (fromEtcd && selected.isEmpty())
        why = tr("etcd instances: edit or delete their keys in the etcd panel's Key tree");
    else if (!m_actions->writable())
        why = m_actions->readOnlyReason();
    if (!why.isEmpty()) {
        menu->addAction(why)->setEnabled(false);
        menu->addSeparator();
    }
    const bool on = m_actions && m_actions->writable();
    const auto count = selected.size();
    QAction* cancel =
        menu->addAction(count > 1 ? tr("Cancel %1 instances…").arg(count) : tr("Cancel instance…"),
                        this, [this, selected] { m_actions->cancel(selected); });
    cancel->setEnabled(on && count > 0);
    QAction* set = menu->addAction(count > 1 ? tr("Set status / metadata of %1…").arg(count)
                                             : tr("Set status / metadata…"),
                                   this, [this, selected] { m_actions->set(selected); });
    set->setEnabled(on && count > 0);
    menu->addSeparator();
    InstanceRef defaults;
    if (!selected.isEmpty())
        defaults = {selected.front().zone, selected.front().env, selected.front().appid, {}};
    QAction* add = menu->addAction(tr("Register a test instance…"), this,
                                   [this, defaults] { m_actions->registerTest(defaults); });
    add->setEnabled(on && !fromEtcd);
    return menu;
}

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

QString InstancesView::freshnessText() const {
    return m_freshness->text();
}

QString InstancesView::detailText() const {
    return m_detail->toPlainText();
}

void InstancesView::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange)
        restyle();
    QWidget::changeEvent(event);
}

void InstancesView::restyle() {
    // The light theme's "down" red under white text reads on both palettes (the dark one's
    // red is a text colour, too light to carry white).
    m_banner->setStyleSheet(u"QLabel { background: %1; color: white; font-weight: bold;"
                            " padding: 8px; border-radius: 3px; }"_s.arg(
                                css(theme::text(ItemState::Down, ThemeKind::Light))));
    refreshFreshness();
}

void InstancesView::expandInserted(const QModelIndex& parent, int first, int last) {
    if (parent.isValid())
        return;
    // Every open row costs QTreeView a step of each relayout: past kAutoExpandInstances only
    // the groups the user opened stay open, so a burst does not relayout 250,000 rows.
    const bool byDefault = m_model->instanceCount() <= kAutoExpandInstances;
    const bool shrink = !byDefault && m_autoOpen;
    m_autoOpen = byDefault;
    if (shrink) {
        first = 0;
        last = m_proxy->rowCount() - 1;
    }
    m_autoExpanding = true;
    for (int row = first; row <= last; ++row) {
        const QModelIndex app = m_proxy->index(row, 0);
        const QString appid = app.data(InstanceModel::AppIdRole).toString();
        const bool open = !m_collapsed.contains(appid) && (byDefault || m_expanded.contains(appid));
        if (open != m_tree->isExpanded(app))
            m_tree->setExpanded(app, open);
    }
    m_autoExpanding = false;
}

void InstancesView::onStoreCleared() {
    // Another source: whatever the old source's server said goes now, not at its next sample.
    m_banner->hide();
    m_banner->clear();
    m_detailId.clear();
    m_detail->clear();
    refreshSummary();
    refreshFreshness();
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
    QString text = tr("%1 instances").arg(total);
    if (stale > 0)
        text += tr(", <b style='color:%2'>%1 stale</b>")
                    .arg(stale)
                    .arg(css(theme::text(ItemState::Stale)));
    // Beside the stale count: registered, but the probe was refused or timed out.
    if (const int unreachable = m_model->unreachableCount(); unreachable > 0)
        text += tr(", <b style='color:%2'>%1 unreachable</b>")
                    .arg(unreachable)
                    .arg(css(theme::text(ItemState::Down)));
    m_summary->setText(text);
}

void InstancesView::refreshFreshness() {
    const qint64 asOf = m_model->asOfMs();
    if (asOf <= 0 || m_model->instanceCount() == 0) {
        m_freshness->clear();
        return;
    }
    const QString at = QDateTime::fromMSecsSinceEpoch(asOf).toString(u"hh:mm:ss"_s);
    const qint64 ageS = m_model->dataAgeMs() / 1000;
    if (m_model->dataTooOld()) {
        m_freshness->setText(tr("stale data: last update %1 s ago (as of %2)").arg(ageS).arg(at));
        m_freshness->setStyleSheet(
            u"QLabel { background: %1; color: %2; padding: 2px 6px;"
            " border-radius: 3px; }"_s.arg(css(theme::background(ItemState::Warning)),
                                           css(theme::text(ItemState::Warning))));
        return;
    }
    m_freshness->setText(tr("as of %1 (%2 s ago)").arg(at).arg(ageS));
    m_freshness->setStyleSheet(QString());
}

void InstancesView::refreshDetail() {
    const QModelIndex current = m_tree->currentIndex();
    const InstanceRecord* r = m_model->recordAt(m_proxy->mapToSource(current));
    if (!r) {
        if (!m_detailId.isEmpty()) {
            m_detailId.clear();
            m_detail->clear();
        }
        return;
    }
    const QString text = instanceDetailText(*r, *m_model);
    m_detailId = recordId(*r);
    if (text != m_detail->toPlainText())
        m_detail->setPlainText(text);
}

void InstancesView::refreshZones() {
    QStringList fresh = m_model->zones();
    for (int i = 1; i < m_zoneFilter->count(); ++i)
        fresh.removeAll(m_zoneFilter->itemData(i).toString());
    for (const auto& z : fresh)
        m_zoneFilter->addItem(z, z);
}

} // namespace regscope
