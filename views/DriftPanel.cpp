#include "views/DriftPanel.h"

#include "models/DriftModel.h"
#include "views/EmptyHint.h"
#include "views/TableActions.h"
#include "views/Theme.h"

#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

DriftPanel::DriftPanel(DriftModel* model, const Store* store, QWidget* parent)
    : QWidget(parent)
    , m_model(model) {
    m_summary = new QLabel(this);
    m_summary->setObjectName(u"driftSummary"_s);
    auto* sorted = new QSortFilterProxyModel(this);
    sorted->setSourceModel(model);
    m_view = new QTableView(this);
    m_view->setModel(sorted);
    useStateColours(m_view);
    m_view->setSortingEnabled(true);
    m_view->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setWordWrap(false);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    installTableActions(m_view, DriftModel::AppidColumn);
    for (const auto& [column, width] : {std::pair{DriftModel::KindColumn, 90},
                                        {DriftModel::HostnameColumn, 140},
                                        {DriftModel::AddrColumn, 190},
                                        {DriftModel::FieldsColumn, 240},
                                        {DriftModel::SourceAColumn, 200}})
        m_view->setColumnWidth(column, width);
    auto* hint = new EmptyHint(m_view, store, [model] {
        const Reconciliation& r = model->reconciliation();
        if (r.matched > 0)
            return u"The sources agree on all %1 instances they share."_s.arg(r.matched);
        return u"Drift compares the instances of several sources (a discovery server and etcd "
               u"during a migration, two discovery nodes). Watch a second source in Sources "
               u"(or pass --connect twice)."_s;
    });
    connect(model, &DriftModel::countsChanged, this, &DriftPanel::updateSummary);
    connect(model, &DriftModel::countsChanged, hint, &EmptyHint::refresh);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_summary);
    layout->addWidget(m_view, 1);
    updateSummary();
}

QString DriftPanel::summary() const {
    return m_summary->text();
}

void DriftPanel::updateSummary() {
    const Reconciliation& r = m_model->reconciliation();
    m_summary->setText(u"%1 matched · %2 only in one source · %3 differ"_s.arg(r.matched)
                           .arg(r.onlyInA + r.onlyInB)
                           .arg(r.differs));
}

} // namespace regscope
