#include "views/SourceUnionView.h"

#include "models/SourceUnionModel.h"
#include "views/AllSourcesView.h"
#include "views/EmptyHint.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

SourceUnionView::SourceUnionView(SourceUnionModel* model, const QString& what, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_what(what)
    , m_filtered(new QSortFilterProxyModel(this))
    , m_table(new QTableView(this))
    , m_filter(new QLineEdit(this))
    , m_status(new QLabel(this)) {
    setObjectName(u"sourceUnion"_s);
    m_filter->setObjectName(u"filterSourceUnion"_s);
    m_filter->setPlaceholderText(u"Filter %1 of every source"_s.arg(what));
    m_filter->setClearButtonEnabled(true);
    auto* top = new QHBoxLayout;
    top->addWidget(m_filter, 2);
    top->addWidget(m_status, 3);

    m_filtered->setSourceModel(model);
    m_filtered->setFilterKeyColumn(-1);
    m_filtered->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_table->setObjectName(u"sourceUnionTable"_s);
    // No columns until shown: the first fit sizes them (no key column to fit yet).
    setUpSourcesTable(m_table, m_filtered, -1);
    new EmptyHint(m_table, nullptr, [this] {
        return m_filter->text().isEmpty()
                   ? u"None of the %1 sources has %2 yet."_s.arg(m_model->sourceCount()).arg(m_what)
                   : u"No %1 of any source match “%2”."_s.arg(m_what, m_filter->text());
    });

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_table);

    connect(m_filter, &QLineEdit::textChanged, m_filtered,
            &QSortFilterProxyModel::setFilterFixedString);
    // The status line and the first fit of the columns, coalesced per event-loop turn.
    auto* again = new QTimer(this);
    again->setSingleShot(true);
    again->setInterval(50);
    connect(again, &QTimer::timeout, this, [this] {
        updateStatus();
        if (m_model->rowCount() > 0 && !m_table->property("fitted").toBool()) {
            m_table->setProperty("fitted", true);
            m_table->resizeColumnsToContents();
        }
    });
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(model, signal, again, qOverload<>(&QTimer::start));
    connect(model, &SourceUnionModel::rebuilt, again, qOverload<>(&QTimer::start));
    connect(m_filter, &QLineEdit::textChanged, again, qOverload<>(&QTimer::start));
    updateStatus();
}

QString SourceUnionView::statusText() const {
    const QLocale locale;
    const int sources = m_model->sourceCount();
    QString text = u"%1 %2 from %3 source%4"_s.arg(locale.toString(m_model->rowCount()), m_what)
                       .arg(sources)
                       .arg(sources == 1 ? u""_s : u"s"_s);
    if (!m_filter->text().isEmpty())
        text += u" · %1 shown"_s.arg(locale.toString(m_filtered->rowCount()));
    return text;
}

void SourceUnionView::updateStatus() {
    m_status->setText(statusText());
}

} // namespace regscope
