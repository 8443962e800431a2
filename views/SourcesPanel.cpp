#include "views/SourcesPanel.h"

#include "models/SourcesModel.h"
#include "views/TableActions.h"
#include "views/Theme.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

SourcesPanel::SourcesPanel(SourcesModel* model, Actions actions, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_actions(std::move(actions)) {
    m_url = new QLineEdit(this);
    m_url->setObjectName(u"watchUrl"_s);
    m_url->setPlaceholderText(
        u"Another source to watch: http://host:7171, etcd://host:2379/prefix?services=…"_s);
    auto* watch = new QPushButton(u"Watch"_s, this);
    connect(m_url, &QLineEdit::returnPressed, this, &SourcesPanel::watchTyped);
    connect(watch, &QPushButton::clicked, this, &SourcesPanel::watchTyped);
    m_error = new QLabel(this);
    m_error->setObjectName(u"watchError"_s);
    m_error->setWordWrap(true);
    m_error->hide();

    m_view = new QTableView(this);
    m_view->setModel(model);
    useStateColours(m_view);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    installTableActions(m_view, SourcesModel::SourceColumn);
    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        if (index.row() > 0 && m_actions.showInPanels)
            m_actions.showInPanels(index.row());
    });

    auto* show = new QPushButton(u"Show in panels"_s, this);
    auto* remove = new QPushButton(u"Stop watching"_s, this);
    show->setEnabled(false);
    remove->setEnabled(false);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [show, remove](const QModelIndex& current) {
                // Row 0 is the panels' own source: it is changed from the connection bar.
                show->setEnabled(current.row() > 0);
                remove->setEnabled(current.row() > 0);
            });
    connect(show, &QPushButton::clicked, this, [this] {
        if (currentRow() > 0 && m_actions.showInPanels)
            m_actions.showInPanels(currentRow());
    });
    connect(remove, &QPushButton::clicked, this, [this] {
        if (currentRow() > 0 && m_actions.unwatch)
            m_actions.unwatch(currentRow());
    });

    auto* top = new QHBoxLayout;
    top->addWidget(m_url, 1);
    top->addWidget(watch);
    auto* bottom = new QHBoxLayout;
    bottom->addStretch(1);
    bottom->addWidget(show);
    bottom->addWidget(remove);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(top);
    layout->addWidget(m_error);
    layout->addWidget(m_view, 1);
    layout->addLayout(bottom);
}

int SourcesPanel::currentRow() const {
    return m_view->currentIndex().isValid() ? m_view->currentIndex().row() : -1;
}

void SourcesPanel::watchTyped() {
    const QString url = m_url->text().trimmed();
    if (url.isEmpty() || !m_actions.watch)
        return;
    const QString error = m_actions.watch(url);
    m_error->setVisible(!error.isEmpty());
    m_error->setText(error);
    if (error.isEmpty())
        m_url->clear();
}

} // namespace regscope
