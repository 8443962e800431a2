#include "views/TablePanels.h"

#include "models/DeprecationsModel.h"
#include "models/LookupMetricsModel.h"
#include "models/MissesModel.h"
#include "models/Store.h"
#include "models/TimelineModel.h"
#include "views/EmptyHint.h"
#include "views/TableActions.h"
#include "views/Theme.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QTableView* makeTable(QWidget* parent, QAbstractItemModel* model, int sortRole, int sortColumn,
                      Qt::SortOrder order, QSortFilterProxyModel** proxyOut = nullptr) {
    auto* proxy = new QSortFilterProxyModel(parent);
    proxy->setSourceModel(model);
    proxy->setSortRole(sortRole);
    proxy->setDynamicSortFilter(true);
    auto* view = new QTableView(parent);
    view->setModel(proxy);
    useStateColours(view);
    view->setSortingEnabled(sortColumn >= 0);
    if (sortColumn >= 0)
        view->sortByColumn(sortColumn, order);
    view->setAlternatingRowColors(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(22);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    view->horizontalHeader()->setDefaultSectionSize(130);
    installTableActions(view, 0);
    view->setSortingEnabled(true); // any column; the panel's default order is set above
    if (proxyOut)
        *proxyOut = proxy;
    if (sortColumn >= 0) {
        // The proxy's incremental re-sort leaves rows out of order when most rows change at
        // once (every metrics sample does that); sort the whole table once per batch instead.
        proxy->setDynamicSortFilter(false);
        auto* resort = new QTimer(view);
        resort->setSingleShot(true);
        resort->setInterval(0);
        QObject::connect(resort, &QTimer::timeout, proxy,
                         [proxy] { proxy->sort(proxy->sortColumn(), proxy->sortOrder()); });
        QObject::connect(model, &QAbstractItemModel::dataChanged, resort,
                         qOverload<>(&QTimer::start));
        QObject::connect(model, &QAbstractItemModel::rowsInserted, resort,
                         qOverload<>(&QTimer::start));
    }
    return view;
}

// A text filter over every column of the table's proxy (Ctrl+F focuses it, Escape clears).
QLineEdit* makeFilter(QWidget* parent, QSortFilterProxyModel* proxy, const QString& hint) {
    auto* edit = new QLineEdit(parent);
    edit->setObjectName(u"filter"_s);
    edit->setPlaceholderText(hint);
    edit->setClearButtonEnabled(true);
    proxy->setFilterKeyColumn(-1);
    proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    QObject::connect(edit, &QLineEdit::textChanged, proxy,
                     [proxy](const QString& text) { proxy->setFilterFixedString(text); });
    return edit;
}

QSortFilterProxyModel* proxyOf(QTableView* view) {
    return qobject_cast<QSortFilterProxyModel*>(view->model());
}

} // namespace

LookupsPanel::LookupsPanel(Store* store, QWidget* parent)
    : QWidget(parent)
    , m_model(new LookupMetricsModel(store, 5000, this)) {
    m_view = makeTable(this, m_model, LookupMetricsModel::SortRole, LookupMetricsModel::HitsColumn,
                       Qt::DescendingOrder);
    m_view->horizontalHeader()->setStretchLastSection(false);
    m_view->horizontalHeader()->setSectionResizeMode(LookupMetricsModel::NameColumn,
                                                     QHeaderView::Stretch);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    auto* about = new QLabel(u"Lookups per name since the source started, and per second over "
                             u"the last interval."_s,
                             this);
    about->setWordWrap(true);
    layout->addWidget(about);
    layout->addWidget(makeFilter(this, proxyOf(m_view), u"Filter names…"_s));
    layout->addWidget(m_view, 1);
    new EmptyHint(m_view, store, [this, store] {
        if (m_model->rowCount() > 0)
            return u"No name matches the filter."_s;
        return emptySourceReason(*store, u"lookups"_s,
                                 u"Lookups counts hits per name in an in-process registry (the "
                                 u"demo, or a process attached with pid://)."_s);
    });
}

MissesPanel::MissesPanel(Store* store, QWidget* parent)
    : QWidget(parent)
    , m_model(new MissesModel(store, 1000, this)) {
    m_view = makeTable(this, m_model, MissesModel::SortRole, MissesModel::MissesColumn,
                       Qt::DescendingOrder);
    m_view->setColumnWidth(MissesModel::NameColumn, 200);
    m_view->setColumnWidth(MissesModel::SuggestionColumn, 320);
    m_alert = new QLabel(this);
    m_alert->setObjectName(u"missAlert"_s);
    m_alert->setMargin(6);
    m_alert->setWordWrap(true); // a long explanation wraps instead of widening the window
    m_threshold = new QSpinBox(this);
    m_threshold->setRange(1, 100);
    m_threshold->setSuffix(u" %"_s);
    m_threshold->setValue(QSettings().value(u"misses/alertPercent"_s, 20).toInt());
    m_model->setAlertThreshold(m_threshold->value() / 100.0);
    connect(m_threshold, &QSpinBox::valueChanged, this, [this](int v) {
        m_model->setAlertThreshold(v / 100.0);
        QSettings().setValue(u"misses/alertPercent"_s, v);
        updateAlert();
    });
    connect(m_model, &MissesModel::missRatioChanged, this, &MissesPanel::updateAlert);
    auto* bar = new QHBoxLayout;
    bar->addWidget(m_alert, 1);
    bar->addWidget(new QLabel(u"alert above"_s, this));
    bar->addWidget(m_threshold);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    layout->addWidget(makeFilter(this, proxyOf(m_view), u"Filter missed names…"_s));
    layout->addWidget(m_view, 1);
    updateAlert();
}

void MissesPanel::updateAlert() {
    const double ratio = m_model->missRatio();
    const bool alert = m_model->alerting();
    const bool lookups = m_model->hasLookups();
    const ThemeKind kind = theme::current();
    if (!lookups) {
        // Nothing was looked up (etcd, discovery, an idle registry): no green "0.0%".
        m_alert->setText(u"No lookups seen on this source: Misses lists names looked up "
                         u"without a match, for in-process registries (the demo or an "
                         u"attached process)."_s);
        m_alert->setStyleSheet(
            u"QLabel { color: %1; }"_s.arg(theme::text(ItemState::Muted, kind).name()));
        m_alert->setProperty("alerting", false);
        return;
    }
    m_alert->setText(u"%1 Miss rate %2% over the last interval (alert above %3%)"_s.arg(
        alert ? u"⚠"_s : u"✓"_s, QString::number(ratio * 100, 'f', 1),
        QString::number(m_model->alertThreshold() * 100, 'f', 0)));
    const ItemState state = alert ? ItemState::Down : ItemState::Healthy;
    m_alert->setStyleSheet(u"QLabel { background: %1; color: %2; %3 }"_s.arg(
        theme::background(state, kind).name(), theme::text(state, kind).name(),
        alert ? u"font-weight: bold;"_s : QString()));
    m_alert->setProperty("alerting", alert);
}

DeprecationsPanel::DeprecationsPanel(Store* store, QWidget* parent)
    : QWidget(parent) {
    QSettings settings;
    DeprecationsModel::Options options;
    options.window = settings.value(u"deprecations/window"_s, options.window).toInt();
    options.quietThreshold =
        settings.value(u"deprecations/quietIntervals"_s, options.quietThreshold).toInt();
    m_model = new DeprecationsModel(store, options, this);
    m_view = makeTable(this, m_model, DeprecationsModel::SortRole, DeprecationsModel::LookupsColumn,
                       Qt::DescendingOrder);
    m_view->setColumnWidth(DeprecationsModel::StateColumn, 170);
    m_view->setColumnWidth(DeprecationsModel::LookupsColumn, 80);
    m_view->setColumnWidth(DeprecationsModel::FirstSeenColumn, 90);
    m_view->setColumnWidth(DeprecationsModel::LastSeenColumn, 90);
    m_view->setColumnWidth(DeprecationsModel::QuietColumn, 100);
    new EmptyHint(m_view, store, [this, store] {
        if (m_model->rowCount() > 0)
            return u"No deprecated name matches the filter."_s;
        if (store->count(RecordKind::Entry) > 0 && store->health().state == HealthState::Live)
            return u"No deprecated names or aliases in this registry."_s;
        return emptySourceReason(*store, u"deprecated names"_s,
                                 u"Deprecations lists deprecated names and aliases of an "
                                 u"in-process registry, with who still looks them up."_s);
    });
    auto* window = new QSpinBox(this);
    window->setRange(1, 3600);
    window->setValue(options.window);
    window->setSuffix(u" intervals"_s);
    connect(window, &QSpinBox::valueChanged, this, [this](int v) {
        m_model->setWindow(v);
        QSettings().setValue(u"deprecations/window"_s, v);
    });
    auto* quiet = new QSpinBox(this);
    quiet->setRange(1, 100000);
    quiet->setValue(options.quietThreshold);
    quiet->setSuffix(u" quiet intervals"_s);
    connect(quiet, &QSpinBox::valueChanged, this, [this](int v) {
        m_model->setQuietThreshold(v);
        QSettings().setValue(u"deprecations/quietIntervals"_s, v);
    });
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(u"Recent lookups over the last"_s, this));
    bar->addWidget(window);
    bar->addSpacing(16);
    bar->addWidget(new QLabel(u"Safe to remove after"_s, this));
    bar->addWidget(quiet);
    bar->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
}

TimelinePanel::TimelinePanel(Store* store, QWidget* parent)
    : QWidget(parent)
    , m_model(new TimelineModel(store, 5000, this)) {
    m_view = makeTable(this, m_model, Qt::DisplayRole, TimelineModel::TimeColumn,
                       Qt::AscendingOrder, &m_proxy);
    m_proxy->setFilterRole(TimelineModel::CategoryRole);
    m_view->setColumnWidth(TimelineModel::TimeColumn, 110);
    m_view->setColumnWidth(TimelineModel::CategoryColumn, 100);
    m_view->setColumnWidth(TimelineModel::SubjectColumn, 220);
    auto* category = new QComboBox(this);
    category->addItem(u"all events"_s, QString());
    for (const auto* c : {u"register", u"deregister", u"rejected", u"reload", u"resync", u"health",
                          u"instance-register", u"instance-cancel", u"instance-evict",
                          u"instance-set", u"failover", u"plugin"})
        category->addItem(QString::fromUtf16(c), QString::fromUtf16(c));
    connect(category, &QComboBox::currentIndexChanged, this, [this, category](int i) {
        const QString c = category->itemData(i).toString();
        m_proxy->setFilterRegularExpression(c.isEmpty() ? QString() : u"^"_s % c % u"$"_s);
    });
    // Follow the newest events while the view is scrolled to the bottom.
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this] {
        QScrollBar* bar = m_view->verticalScrollBar();
        if (bar->value() >= bar->maximum() - 2 * m_view->verticalHeader()->defaultSectionSize())
            QMetaObject::invokeMethod(m_view, &QTableView::scrollToBottom, Qt::QueuedConnection);
    });
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(u"Show"_s, this));
    bar->addWidget(category);
    bar->addStretch(1);
    bar->addWidget(new QLabel(u"newest %1 kept"_s.arg(m_model->maxRows()), this));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);
}

} // namespace regscope
