#include "views/AllSourcesView.h"

#include "models/AllSourcesModel.h"
#include "views/EmptyHint.h"
#include "views/TableActions.h"
#include "views/Theme.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <utility>

using namespace Qt::StringLiterals;

namespace regscope {

void setUpSourcesTable(QTableView* table, QAbstractItemModel* model, int keyColumn) {
    table->setModel(model);
    table->setSortingEnabled(true);
    table->sortByColumn(-1, Qt::AscendingOrder); // the model's order until a header is clicked
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setAlternatingRowColors(true);
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->horizontalHeader()->setStretchLastSection(true);
    installTableActions(table, keyColumn);
    useStateColours(table);
}

AllSourcesView::AllSourcesView(AllSourcesModel* model, const QString& what, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_what(what)
    , m_sorted(new QSortFilterProxyModel(this))
    , m_table(new QTableView(this))
    , m_filter(new QLineEdit(this))
    , m_status(new QLabel(this)) {
    setObjectName(u"allSources"_s);
    m_filter->setObjectName(u"filterAllSources"_s);
    m_filter->setPlaceholderText(u"Filter %1 of every source (words in any column)"_s.arg(what));
    m_filter->setClearButtonEnabled(true);
    m_status->setObjectName(u"allSourcesStatus"_s);
    auto* top = new QHBoxLayout;
    top->addWidget(m_filter, 2);
    top->addWidget(m_status, 3);

    // Sorting only: the model filters itself, in slices (a proxy would filter in one go).
    m_sorted->setSourceModel(model);
    m_sorted->setSortRole(AllSourcesModel::SortRole);
    m_sorted->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_table->setObjectName(u"allSourcesTable"_s);
    setUpSourcesTable(m_table, m_sorted, AllSourcesModel::SourceColumn + 1);
    // The columns fit the first rows, then once more when the first scan ends (every source
    // has rows by then); after that the user's widths stay. The view measures the rows it
    // shows, not all of them.
    auto* fit = new QTimer(this);
    fit->setSingleShot(true);
    fit->setInterval(50);
    connect(fit, &QTimer::timeout, m_table, [this] {
        if (m_model->rowCount() == 0 || m_fits >= 2)
            return;
        if (m_fits == 0 || !m_model->scanning()) {
            m_table->resizeColumnsToContents();
            ++m_fits;
        }
    });
    connect(model, &QAbstractItemModel::rowsInserted, fit, qOverload<>(&QTimer::start));
    connect(model, &AllSourcesModel::progressChanged, fit, qOverload<>(&QTimer::start));
    connect(model, &QAbstractItemModel::modelReset, this, [this] { m_fits = 0; });
    new EmptyHint(m_table, nullptr, [this] { return emptyText(); });

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_table);

    // Each keystroke restarts the model's sliced scan; a short pause coalesces fast typing.
    auto* typing = new QTimer(this);
    typing->setSingleShot(true);
    typing->setInterval(150);
    connect(m_filter, &QLineEdit::textChanged, typing, qOverload<>(&QTimer::start));
    connect(typing, &QTimer::timeout, this, [this] { m_model->setFilterText(m_filter->text()); });
    connect(model, &AllSourcesModel::progressChanged, this, &AllSourcesView::updateStatus);
    connect(model, &QAbstractItemModel::modelReset, this, &AllSourcesView::updateStatus);
    updateStatus();
}

QString AllSourcesView::statusText() const {
    const QLocale locale;
    const int sources = m_model->sourceCount();
    QString text = u"%1 %2 from %3 source%4"_s.arg(locale.toString(m_model->matchCount()), m_what)
                       .arg(sources)
                       .arg(sources == 1 ? u""_s : u"s"_s);
    if (m_model->truncated())
        text +=
            u" · the first %1 listed: filter to narrow"_s.arg(locale.toString(m_model->rowCount()));
    if (m_model->scanning())
        text += u" · reading…"_s;
    return text;
}

void AllSourcesView::updateStatus() {
    m_status->setText(statusText());
}

QString AllSourcesView::emptyText() const {
    if (m_model->scanning())
        return {};
    if (!m_model->filterText().isEmpty())
        return u"No %1 of any source match “%2”."_s.arg(m_what, m_model->filterText());
    return u"None of the %1 sources holds %2. Sources ▸ Watch adds one."_s
        .arg(m_model->sourceCount())
        .arg(m_what);
}

} // namespace regscope
