#include "views/EntriesPanel.h"

#include "models/EntriesFilterProxy.h"
#include "models/EntriesModel.h"
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
#include <QTextBrowser>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

EntriesPanel::EntriesPanel(Store* store, QWidget* parent)
    : QWidget(parent)
    , m_store(store)
    , m_model(new EntriesModel(store, this))
    , m_proxy(new EntriesFilterProxy(this)) {
    m_proxy->setSourceModel(m_model);

    m_filter = new QLineEdit(this);
    m_filter->setObjectName(u"filter"_s);
    m_filter->setPlaceholderText(u"Filter names, versions, types… (Ctrl+F)"_s);
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_proxy->setFilterText(text);
        // Matching versions in view; past a size, expanding everything costs too much.
        if (!text.isEmpty() && m_proxy->rowCount() > 0 && m_model->entryCount() < 20000)
            m_view->expandAll();
    });

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

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_view);
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

QString EntriesPanel::detailText() const {
    return m_detail->toPlainText();
}

QString EntriesPanel::selectionJson() const {
    const QModelIndex current = m_proxy->mapToSource(m_view->currentIndex());
    const std::vector<EntryRecord> records = m_model->recordsAt(current);
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
    const QModelIndex current = m_proxy->mapToSource(m_view->currentIndex());
    const std::vector<EntryRecord> records = m_model->recordsAt(current);
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
