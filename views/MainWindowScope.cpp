// The window's source scope: the tab bar's corner says which source the panels show and offers
// the others and "All sources". A watched source chosen there is swapped into the panels (the
// app does it, on panelSourceRequested); "All sources" turns each panel that has an
// all-sources view (the record panels and the per-source tables) to it, and back. Panels
// without one (Plugins, the app's own) go on as they are, and the corner's tooltip says so.

#include "models/SourcesModel.h"
#include "views/MainWindow.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QStackedWidget>
#include <QTabWidget>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
constexpr auto kScopeStack = "regscopeScopeStack"; // a tab page that holds a panel + its view
}

void MainWindow::setSourcesModel(SourcesModel* sources) {
    m_sources = sources;
    auto* corner = new QWidget(m_tabs);
    auto* layout = new QHBoxLayout(corner);
    layout->setContentsMargins(4, 0, 4, 0);
    layout->addWidget(new QLabel(u"Show:"_s, corner));
    m_scope = new QComboBox(corner);
    m_scope->setObjectName(u"sourceScope"_s);
    m_scope->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_scope->setToolTip(u"The source the panels show, another source to swap in, or all of "
                        u"them. With all sources, Entries, Instances, etcd, Lookups, Misses, "
                        u"Deprecations and Timeline list every source's rows with a Source "
                        u"column, and Metrics the latest figures of each. The charts and etcd's "
                        u"cluster and time travel show one source (choose it here); Plugins are "
                        u"the app's own."_s);
    layout->addWidget(m_scope);
    m_tabs->setCornerWidget(corner, Qt::TopRightCorner);
    connect(m_scope, &QComboBox::activated, this, [this](int index) {
        const int all = m_scope->count() - 1;
        setShowAllSources(index == all);
        if (index > 0 && index < all)
            Q_EMIT panelSourceRequested(index);
    });
    const auto rebuild = [this] { updateScope(); };
    connect(sources, &QAbstractItemModel::rowsInserted, this, rebuild);
    connect(sources, &QAbstractItemModel::rowsRemoved, this, rebuild);
    connect(sources, &QAbstractItemModel::dataChanged, this, [this](const QModelIndex& from) {
        if (from.column() == SourcesModel::SourceColumn)
            updateScope();
    });
    updateScope();
}

void MainWindow::updateScope() {
    if (!m_scope || !m_sources)
        return;
    const int rows = m_sources->rowCount();
    if (rows < 2 && m_allSources)
        setShowAllSources(false);
    m_scope->clear();
    for (int row = 0; row < rows; ++row)
        m_scope->addItem(row == 0 ? m_sources->urlAt(row) % u" (in the panels)"_s
                                  : m_sources->urlAt(row));
    m_scope->addItem(u"All %1 sources"_s.arg(rows));
    m_scope->setCurrentIndex(m_allSources ? rows : 0);
    m_tabs->cornerWidget(Qt::TopRightCorner)->setVisible(rows >= 2);
}

void MainWindow::setAllSourcesView(const QString& title, QWidget* view) {
    int index = -1;
    for (int i = 0; i < m_tabs->count(); ++i)
        if (m_tabs->tabText(i).compare(title, Qt::CaseInsensitive) == 0)
            index = i;
    if (index < 0)
        return;
    const bool current = m_tabs->currentIndex() == index;
    const QString tip = m_tabs->tabToolTip(index);
    QWidget* panel = m_tabs->widget(index);
    m_tabs->removeTab(index);
    auto* stack = new QStackedWidget(m_tabs);
    stack->setProperty(kScopeStack, true);
    stack->setObjectName(panel->objectName() + u"Scope"_s);
    stack->addWidget(panel);
    stack->addWidget(view);
    stack->setCurrentIndex(m_allSources ? 1 : 0);
    m_tabs->insertTab(index, stack, title);
    m_tabs->setTabToolTip(index, tip);
    if (current)
        m_tabs->setCurrentIndex(index);
}

QWidget* MainWindow::allSourcesView(const QString& title) const {
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto* stack = qobject_cast<QStackedWidget*>(m_tabs->widget(i));
        if (stack && stack->property(kScopeStack).toBool() &&
            m_tabs->tabText(i).compare(title, Qt::CaseInsensitive) == 0)
            return stack->widget(1);
    }
    return nullptr;
}

QWidget* MainWindow::panelPage(int index) const {
    QWidget* page = m_tabs->widget(index);
    auto* stack = qobject_cast<QStackedWidget*>(page);
    return stack && stack->property(kScopeStack).toBool() ? stack->widget(0) : page;
}

void MainWindow::setShowAllSources(bool all) {
    if (all && (!m_sources || m_sources->rowCount() < 2))
        all = false;
    if (all == m_allSources)
        return;
    m_allSources = all;
    for (int i = 0; i < m_tabs->count(); ++i) {
        auto* stack = qobject_cast<QStackedWidget*>(m_tabs->widget(i));
        if (stack && stack->property(kScopeStack).toBool())
            stack->setCurrentIndex(all ? 1 : 0);
    }
    if (m_scope)
        m_scope->setCurrentIndex(all ? m_scope->count() - 1 : 0);
    Q_EMIT allSourcesShown(all);
}

} // namespace regscope
