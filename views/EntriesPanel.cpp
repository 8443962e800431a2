#include "views/EntriesPanel.h"

#include "models/EntriesFilterProxy.h"
#include "models/EntriesModel.h"
#include "models/EntryMatchesModel.h"
#include "models/RecordJson.h"
#include "models/Store.h"
#include "views/EmptyHint.h"
#include "views/TableActions.h"
#include "views/Theme.h"

#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

EntriesPanel::EntriesPanel(Store* store, QWidget* parent)
    : QWidget(parent)
    , m_store(store)
    , m_model(new EntriesModel(store, this))
    , m_proxy(new EntriesFilterProxy(this))
    , m_matches(new EntryMatchesModel(store, this)) {
    m_proxy->setSourceModel(m_model);

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(u"filter"_s);
    m_filter->setPlaceholderText(u"Filter names, versions, types… (Ctrl+F)"_s);
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, &EntriesPanel::applyFilter);
    m_matchStatus = new QLabel(this);
    m_matchStatus->setObjectName(u"matchStatus"_s);
    m_matchStatus->hide();
    connect(m_matches, &EntryMatchesModel::progressChanged, this, &EntriesPanel::updateMatchStatus);

    m_view = new QTreeView(this);
    m_view->setModel(m_proxy);
    useStateColours(m_view);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    installTableActions(m_view, EntriesModel::NameColumn);
    // Sortable on demand; by default the model's own (registry) order, never re-sorted unasked.
    m_view->setSortingEnabled(true);
    m_view->header()->setSortIndicator(-1, Qt::AscendingOrder);
    m_view->header()->setStretchLastSection(true);
    m_view->setColumnWidth(EntriesModel::VersionColumn, 120);
    m_view->setColumnWidth(EntriesModel::TypeColumn, 90);
    m_view->setColumnWidth(EntriesModel::StateColumn, 150);
    m_view->setColumnWidth(EntriesModel::OriginColumn, 180);
    useStateColours(m_view); // deprecated rows, and every row muted once the source is Down
    new EmptyHint(m_view, store, [store] {
        if (store->count(RecordKind::Entry) > 0)
            return u"No entry matches the filter."_s;
        return emptySourceReason(*store, u"registry entries"_s,
                                 u"Entries lists the names registered in an in-process registry: "
                                 u"the demo (demo), or a program that links libregscope-registry "
                                 u"and runs with REGSCOPE_DEBUG=1 (Ctrl+Shift+A attaches)."_s);
    });
    // New tenants (and registries with their tenants) open so the names are visible at once.
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex& where, int first, int last) {
                if (where.isValid() &&
                    where.data(EntriesModel::LevelRole).toInt() != EntriesModel::RegistryLevel)
                    return;
                for (int r = first; r <= last; ++r) {
                    const QModelIndex row = m_proxy->index(r, 0, where);
                    m_view->expand(row);
                    for (int t = 0; t < m_proxy->rowCount(row); ++t)
                        m_view->expand(m_proxy->index(t, 0, row));
                }
            });
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        m_view->expand(m_proxy->index(r, 0));
        for (int t = 0; t < m_proxy->rowCount(m_proxy->index(r, 0)); ++t)
            m_view->expand(m_proxy->index(t, 0, m_proxy->index(r, 0)));
    }
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &EntriesPanel::showDetail);
    // Refresh the detail pane only when the shown entry changed.
    connect(m_model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& topLeft, const QModelIndex& bottomRight) {
                const QModelIndex current = m_proxy->mapToSource(m_view->currentIndex());
                if (current.isValid() && current.parent() == topLeft.parent() &&
                    current.row() >= topLeft.row() && current.row() <= bottomRight.row())
                    showDetail();
            });

    m_detail = new QTextBrowser(this);
    m_detail->setObjectName(u"entryDetail"_s);
    m_copy = new QPushButton(u"Copy as JSON"_s, this);
    m_copy->setShortcut(QKeySequence(u"Ctrl+Shift+C"_s));
    m_copy->setEnabled(false);
    connect(m_copy, &QPushButton::clicked, this, &EntriesPanel::copyJson);

    auto* detailBox = new QWidget(this);
    auto* detailLayout = new QVBoxLayout(detailBox);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    detailLayout->addWidget(m_detail);
    detailLayout->addWidget(m_copy, 0, Qt::AlignRight);

    m_matchesView = new QTableView(this);
    m_matchesView->setObjectName(u"entryMatches"_s);
    m_matchesView->setModel(m_matches);
    useStateColours(m_matchesView);
    m_matchesView->setAlternatingRowColors(true);
    m_matchesView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_matchesView->verticalHeader()->hide();
    m_matchesView->verticalHeader()->setDefaultSectionSize(m_matchesView->fontMetrics().height() +
                                                           6);
    m_matchesView->horizontalHeader()->setStretchLastSection(true);
    installTableActions(m_matchesView, EntryMatchesModel::NameColumn);
    // Up to 50,000 rows arrive in slices: fixed widths, not a measure of every row each time.
    m_matchesView->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    for (const auto& [column, width] : {std::pair{EntryMatchesModel::NameColumn, 240},
                                        {EntryMatchesModel::VersionColumn, 90},
                                        {EntryMatchesModel::TenantColumn, 90},
                                        {EntryMatchesModel::TypeColumn, 80},
                                        {EntryMatchesModel::StateColumn, 90}})
        m_matchesView->setColumnWidth(column, width);
    connect(m_matchesView->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &EntriesPanel::showDetail);
    auto* matchesHint = new EmptyHint(m_matchesView, store, [this] {
        return m_matches->scanning() ? u"Searching…"_s : u"No entry matches the filter."_s;
    });
    connect(m_matches, &EntryMatchesModel::progressChanged, matchesHint, &EmptyHint::refresh);
    m_views = new QStackedWidget(this);
    m_views->addWidget(m_view);
    m_views->addWidget(m_matchesView);

    auto* listBox = new QWidget(this);
    auto* listLayout = new QVBoxLayout(listBox);
    listLayout->setContentsMargins(0, 0, 0, 0);
    listLayout->addWidget(m_views, 1);
    listLayout->addWidget(m_matchStatus);

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(listBox);
    split->addWidget(detailBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_filter);
    layout->addWidget(split, 1);
    m_detail->setHtml(
        u"<p style='color:gray'>Select an entry to see everything known about it.</p>"_s);
}

bool EntriesPanel::showsMatches() const {
    return m_views->currentWidget() == m_matchesView;
}

void EntriesPanel::applyFilter(const QString& text) {
    // A big registry: the matches as a flat list, found in slices (no keystroke blocks).
    const bool flat = !text.trimmed().isEmpty() && m_model->entryCount() >= kFlatFilterAbove;
    m_matches->setFilterText(flat ? text : QString());
    m_views->setCurrentWidget(flat ? static_cast<QWidget*>(m_matchesView) : m_view);
    m_matchStatus->setVisible(flat);
    if (flat) {
        updateMatchStatus(); // the first slice may have found everything already
        return;
    }
    m_proxy->setFilterText(text);
    // Matching versions in view (small registries only: see kFlatFilterAbove).
    if (!text.isEmpty() && m_proxy->rowCount() > 0)
        m_view->expandAll();
}

void EntriesPanel::updateMatchStatus() {
    if (!showsMatches())
        return;
    QString text = m_matches->truncated()
                       ? u"%L1 matches, the first %L2 listed: type more to narrow"_s
                             .arg(m_matches->matchCount())
                             .arg(m_matches->rowCount())
                       : u"%L1 matches"_s.arg(m_matches->matchCount());
    if (m_matches->scanning())
        text += u" · searching %1%…"_s.arg(int(m_matches->scannedFraction() * 100));
    m_matchStatus->setText(text);
}

std::vector<EntryRecord> EntriesPanel::selectedRecords() const {
    if (showsMatches()) {
        const EntryRecord* e = m_matches->recordAt(m_matchesView->currentIndex().row());
        return e ? std::vector<EntryRecord>{*e} : std::vector<EntryRecord>{};
    }
    return m_model->recordsAt(m_proxy->mapToSource(m_view->currentIndex()));
}

QString EntriesPanel::detailText() const {
    return m_detail->toPlainText();
}

QString EntriesPanel::selectionJson() const {
    const std::vector<EntryRecord> records = selectedRecords();
    if (records.size() == 1)
        return QString::fromUtf8(QJsonDocument(toJson(records.front())).toJson());
    QJsonArray array;
    for (const EntryRecord& r : records)
        array.append(toJson(r));
    return QString::fromUtf8(QJsonDocument(array).toJson());
}

void EntriesPanel::copyJson() const {
    QApplication::clipboard()->setText(selectionJson());
}

void EntriesPanel::showDetail() {
    const std::vector<EntryRecord> records = selectedRecords();
    m_copy->setEnabled(!records.empty());
    if (records.empty()) {
        m_detail->clear();
        return;
    }
    auto esc = [](const QString& s) { return s.toHtmlEscaped(); };
    QString html;
    const qsizetype shown = std::min<qsizetype>(qsizetype(records.size()), 50);
    for (qsizetype i = 0; i < shown; ++i) {
        const EntryRecord& r = records[size_t(i)];
        html += u"<h3>"_s % esc(r.name) %
                (r.version.isEmpty() ? QString() : u" <small>"_s % esc(r.version) % u"</small>"_s) %
                u"</h3><table cellspacing='2'>"_s;
        auto row = [&](const QString& key, const QString& value) {
            if (!value.isEmpty())
                html += u"<tr><td style='color:gray'>"_s % key % u"</td><td>"_s % esc(value) %
                        u"</td></tr>"_s;
        };
        row(u"id"_s, recordId(r));
        row(u"registry"_s, r.registry);
        row(u"tenant"_s, r.tenant.isEmpty() ? u"(global)"_s : r.tenant);
        row(u"type"_s, r.type);
        row(u"description"_s, r.description);
        row(u"alias of"_s, r.aliasOf);
        row(u"state"_s, r.deprecated ? u"deprecated"_s : u"active"_s);
        row(u"deprecation"_s, r.deprecationMessage);
        row(u"remove after"_s, r.removeAfter);
        row(u"origin"_s, EntriesModel::originText(r.origin));
        if (r.origin != EntriesModel::originText(r.origin))
            row(u"shared object"_s, r.origin);
        if (r.registeredAtMs)
            row(u"registered"_s,
                QDateTime::fromMSecsSinceEpoch(r.registeredAtMs).toString(Qt::ISODateWithMs));
        html += u"</table>"_s;
    }
    if (qsizetype(records.size()) > shown)
        html +=
            u"<p>… and %1 more (copy as JSON for all)</p>"_s.arg(records.size() - size_t(shown));
    m_detail->setHtml(html);
}

} // namespace regscope
