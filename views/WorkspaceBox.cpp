#include "views/WorkspaceBox.h"

#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>

using namespace Qt::StringLiterals;

namespace regscope {

WorkspaceBox::WorkspaceBox(QWidget* parent)
    : QWidget(parent) {
    setObjectName(u"workspaces"_s);
    m_list = new QListWidget(this);
    m_list->setObjectName(u"workspaceList"_s);
    m_open = new QPushButton(u"Open"_s, this);
    m_delete = new QPushButton(u"Delete"_s, this);
    m_open->setEnabled(false);
    m_delete->setEnabled(false);
    m_name = new QLineEdit(this);
    m_name->setObjectName(u"workspaceName"_s);
    m_name->setPlaceholderText(u"save current as…"_s);
    auto* save = new QPushButton(u"Save"_s, this);
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        m_open->setEnabled(row >= 0);
        m_delete->setEnabled(row >= 0);
    });
    connect(m_list, &QListWidget::itemDoubleClicked, this, &WorkspaceBox::openSelected);
    connect(m_open, &QPushButton::clicked, this, &WorkspaceBox::openSelected);
    connect(m_delete, &QPushButton::clicked, this, [this] {
        if (const int row = m_list->currentRow(); row >= 0 && row < int(m_workspaces.size()))
            Q_EMIT deleteRequested(m_workspaces[row].name);
    });
    connect(save, &QPushButton::clicked, this, &WorkspaceBox::saveCurrent);
    connect(m_name, &QLineEdit::returnPressed, this, &WorkspaceBox::saveCurrent);

    auto* layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(u"Workspaces"_s, this), 0, 0, 1, 2);
    layout->addWidget(m_list, 1, 0, 1, 2);
    layout->addWidget(m_open, 2, 0);
    layout->addWidget(m_delete, 2, 1);
    layout->addWidget(m_name, 3, 0);
    layout->addWidget(save, 3, 1);
}

void WorkspaceBox::setWorkspaces(const QList<Workspace>& workspaces) {
    m_workspaces = workspaces;
    m_list->clear();
    for (const Workspace& w : workspaces) {
        auto* item = new QListWidgetItem(u"%1 (%2)"_s.arg(w.name).arg(w.sources.size()), m_list);
        item->setToolTip(w.sources.join(u'\n'));
    }
}

void WorkspaceBox::setCurrentSources(const QStringList& sources) {
    m_current = sources;
    m_name->setToolTip(u"Saves:\n"_s + sources.join(u'\n'));
}

void WorkspaceBox::saveCurrent() {
    const QString name = m_name->text().trimmed();
    if (name.isEmpty() || m_current.isEmpty())
        return;
    Q_EMIT saveRequested(Workspace{name, m_current});
    m_name->clear();
}

void WorkspaceBox::openSelected() {
    if (const int row = m_list->currentRow(); row >= 0 && row < int(m_workspaces.size()))
        Q_EMIT openRequested(m_workspaces[row]);
}

} // namespace regscope
