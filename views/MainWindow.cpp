#include "views/MainWindow.h"

#include "models/SourceControls.h"
#include "models/Store.h"
#include "views/ConnectionBar.h"
#include "views/ConnectionDialog.h"
#include "views/Theme.h"
#include "views/WorkspaceBox.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPalette>
#include <QSettings>
#include <QShortcut>
#include <QStatusBar>
#include <QStyle>
#include <QStyleFactory>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>

using namespace Qt::StringLiterals;

namespace regscope {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent) {
    setWindowTitle(u"regscope"_s);
    setObjectName(u"regscopeMainWindow"_s);

    m_connectionBar = new ConnectionBar(this);
    auto* bar = new QToolBar(u"Connection"_s, this);
    bar->setObjectName(u"connectionToolBar"_s);
    bar->setMovable(false);
    bar->addWidget(m_connectionBar);
    addToolBar(Qt::TopToolBarArea, bar);
    connect(m_connectionBar, &ConnectionBar::connectRequested, this, &MainWindow::connectRequested);

    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    setCentralWidget(m_tabs);

    m_rateLabel = new QLabel(this);
    m_sizeLabel = new QLabel(this);
    makeShrinkable(m_sizeLabel); // entries · instances · keys · history: gives way first
    m_sizeLabel->setMinimumWidth(120);
    statusBar()->addPermanentWidget(m_rateLabel);
    statusBar()->addPermanentWidget(m_sizeLabel, 1);

    QMenu* file = menuBar()->addMenu(u"&File"_s);
    QAction* focusUrl = file->addAction(u"&Connect to…"_s);
    focusUrl->setShortcut(QKeySequence(u"Ctrl+L"_s));
    connect(focusUrl, &QAction::triggered, m_connectionBar, &ConnectionBar::focusUrl);
    QAction* dialog = file->addAction(u"Co&nnection…"_s);
    dialog->setObjectName(u"connectionDialogAction"_s);
    dialog->setShortcut(QKeySequence(u"Ctrl+Shift+L"_s));
    connect(dialog, &QAction::triggered, this, &MainWindow::openConnectionDialog);
    connect(m_connectionBar, &ConnectionBar::dialogRequested, this,
            &MainWindow::openConnectionDialog);
    QAction* attachAction = file->addAction(u"&Attach to process…"_s);
    attachAction->setObjectName(u"attachDialogAction"_s);
    attachAction->setShortcut(QKeySequence(u"Ctrl+Shift+A"_s));
    connect(attachAction, &QAction::triggered, this, &MainWindow::openAttachDialog);
    addSnapshotActions(file);
    QAction* quit = file->addAction(u"&Quit"_s);
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu* view = menuBar()->addMenu(u"&View"_s);
    QAction* filter = view->addAction(u"&Filter this panel"_s);
    filter->setShortcut(QKeySequence::Find);
    connect(filter, &QAction::triggered, this, &MainWindow::focusFilter);
    // Escape in a filter clears it (and leaves the focus there).
    auto* clear = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    clear->setContext(Qt::WindowShortcut);
    connect(clear, &QShortcut::activated, this, [this] {
        if (auto* edit = qobject_cast<QLineEdit*>(QApplication::focusWidget());
            edit && edit->objectName().startsWith(u"filter"))
            edit->clear();
    });
    QAction* theme = view->addAction(u"Toggle &dark theme"_s);
    theme->setShortcut(QKeySequence(u"Ctrl+Shift+T"_s));
    connect(theme, &QAction::triggered, this,
            [this] { setTheme(m_theme == Theme::Dark ? Theme::Light : Theme::Dark); });
    view->addSeparator();
    setProperty("panelMenu", QVariant::fromValue(static_cast<QObject*>(view)));

    addHelpMenu();
    connect(m_connectionBar, &ConnectionBar::cancelLoadRequested, this, [this] {
        if (m_broker)
            m_broker->controls()->cancelLoad();
    });
    connect(m_connectionBar, &ConnectionBar::retryNowRequested, this, [this] {
        if (m_broker)
            m_broker->controls()->retryNow();
    });

    auto* status = new QTimer(this);
    status->setInterval(1000);
    connect(status, &QTimer::timeout, this, &MainWindow::updateStatus);
    status->start();
    resize(1280, 800);
}

MainWindow::~MainWindow() = default;

void MainWindow::setProfiles(const QList<ConnectionProfile>& profiles) {
    m_profiles = profiles;
    if (auto* open = findChild<ConnectionDialog*>(); open && open->isVisible())
        open->setProfiles(m_profiles);
}

void MainWindow::setWorkspaces(const QList<Workspace>& workspaces) {
    m_workspaces = workspaces;
    if (auto* open = findChild<ConnectionDialog*>(); open && open->isVisible())
        open->workspaceBox()->setWorkspaces(m_workspaces);
}

AttachDialog* MainWindow::openAttachDialog() {
    if (auto* open = findChild<AttachDialog*>(); open && open->isVisible()) {
        open->raise();
        return open;
    }
    auto* dialog = new AttachDialog(m_attachLister, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &AttachDialog::attachRequested, this, &MainWindow::connectRequested);
    dialog->open();
    return dialog;
}

ConnectionDialog* MainWindow::openConnectionDialog() {
    if (auto* open = findChild<ConnectionDialog*>(); open && open->isVisible()) {
        open->raise();
        open->activateWindow();
        return open;
    }
    auto* dialog = new ConnectionDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setProfiles(m_profiles);
    // Start from the saved profile of the current URL when there is one, with its TLS fields.
    const QString url = m_connectionBar->url();
    ConnectionProfile current;
    current.url = url;
    for (const ConnectionProfile& p : m_profiles) {
        if (p.url == url) {
            current = p;
            break;
        }
    }
    dialog->setProfile(current);
    connect(dialog, &ConnectionDialog::profileAccepted, this, &MainWindow::profileConnectRequested);
    connect(dialog, &ConnectionDialog::profileDeleteRequested, this,
            &MainWindow::profileDeleteRequested);
    WorkspaceBox* workspaces = dialog->workspaceBox();
    workspaces->setWorkspaces(m_workspaces);
    workspaces->setCurrentSources(m_currentSources ? m_currentSources() : QStringList{url});
    connect(workspaces, &WorkspaceBox::saveRequested, this, &MainWindow::workspaceSaveRequested);
    connect(workspaces, &WorkspaceBox::deleteRequested, this,
            &MainWindow::workspaceDeleteRequested);
    connect(workspaces, &WorkspaceBox::openRequested, dialog, [this, dialog](const Workspace& w) {
        Q_EMIT workspaceOpenRequested(w);
        dialog->reject(); // the workspace is attached: nothing left to do here
    });
    dialog->open();
    return dialog;
}

void MainWindow::addPanel(const QString& title, QWidget* panel, const QKeySequence& shortcut) {
    panel->setObjectName(panel->objectName().isEmpty() ? title : panel->objectName());
    const int index = m_tabs->addTab(panel, title);
    QKeySequence keys = shortcut;
    if (keys.isEmpty() && index < 9)
        keys = QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + index));
    auto* menu = qobject_cast<QMenu*>(property("panelMenu").value<QObject*>());
    QAction* action = menu ? menu->addAction(title) : new QAction(title, this);
    action->setShortcut(keys);
    // By title: the page may be wrapped later (setAllSourcesView).
    connect(action, &QAction::triggered, this, [this, title] { showPanel(title); });
    if (!menu)
        addAction(action);
    if (!keys.isEmpty())
        m_tabs->setTabToolTip(index,
                              title % u" ("_s % keys.toString(QKeySequence::NativeText) % u')');
}

bool MainWindow::showPanel(const QString& title) {
    for (int i = 0; i < m_tabs->count(); ++i) {
        if (m_tabs->tabText(i).compare(title, Qt::CaseInsensitive) == 0) {
            m_tabs->setCurrentIndex(i);
            return true;
        }
    }
    return false;
}

QStringList MainWindow::panelTitles() const {
    QStringList out;
    for (int i = 0; i < m_tabs->count(); ++i)
        out << m_tabs->tabText(i);
    return out;
}

QWidget* MainWindow::panel(const QString& title) const {
    for (int i = 0; i < m_tabs->count(); ++i) {
        if (m_tabs->tabText(i).compare(title, Qt::CaseInsensitive) == 0)
            return panelPage(i);
    }
    return nullptr;
}

void MainWindow::setStore(Store* store) {
    m_store = store;
    m_lastEvents = store ? store->eventsApplied() : 0;
    m_lastStatusMs = QDateTime::currentMSecsSinceEpoch();
    if (!store)
        return;
    m_connectionBar->setHealth(store->health());
    m_connectionBar->setProgress(store->progress());
    connect(store, &Store::healthChanged, m_connectionBar, &ConnectionBar::setHealth,
            Qt::UniqueConnection);
    connect(store, &Store::progressChanged, m_connectionBar, &ConnectionBar::setProgress,
            Qt::UniqueConnection);
    connect(store, &Store::healthChanged, this, &MainWindow::updateBadge, Qt::UniqueConnection);
    updateBadge();
    updateStatus();
}

void MainWindow::setControlBroker(ControlBroker* broker) {
    m_broker = broker;
}

// Ctrl+F: the filter of the panel in front (a panel may have several: the first visible).
void MainWindow::focusFilter() {
    QWidget* panel = m_tabs->currentWidget();
    if (!panel)
        return;
    for (auto* edit : panel->findChildren<QLineEdit*>()) {
        if (edit->objectName().startsWith(u"filter") && edit->isVisibleTo(panel)) {
            edit->setFocus(Qt::ShortcutFocusReason);
            edit->selectAll();
            return;
        }
    }
    statusBar()->showMessage(u"this panel has no filter"_s, 3000);
}

QString MainWindow::shortcutsText() const {
    QStringList lines;
    for (QAction* a : findChildren<QAction*>()) {
        if (a->shortcut().isEmpty() || a->text().isEmpty())
            continue;
        lines.append(u"%1\t%2"_s.arg(a->shortcut().toString(QKeySequence::NativeText),
                                     a->text().remove(u'&')));
    }
    lines.append(u"Escape\tclear the filter you are typing in"_s);
    lines.append(u"Ctrl+C\tcopy the selected rows (right-click a row for more)"_s);
    lines.sort();
    lines.removeDuplicates();
    return lines.join(u'\n');
}

void MainWindow::addHelpMenu() {
    QMenu* help = menuBar()->addMenu(u"&Help"_s);
    QAction* keys = help->addAction(u"&Keyboard shortcuts"_s);
    keys->setObjectName(u"shortcutsAction"_s);
    keys->setShortcuts({QKeySequence(u"?"_s), QKeySequence(u"F1"_s)});
    connect(keys, &QAction::triggered, this,
            [this] { QMessageBox::information(this, u"Keyboard shortcuts"_s, shortcutsText()); });
    QAction* urls = help->addAction(u"&Source URLs"_s);
    connect(urls, &QAction::triggered, this, [this] {
        QMessageBox::information(
            this, u"Source URLs"_s,
            u"demo[?rate=N&reload=S&churn=S&seed=N] — the embedded demo registry\n"
            u"http://host:port — a discovery server (bilibili/discovery API)\n"
            u"etcd://host:port[,host:port]/prefix[?services=/services/] — an etcd v3 "
            u"cluster; services= maps /services/<app>/<instance> keys to Instances\n"
            u"etcds://… — the same over TLS (certificates in File ▸ Connection…)\n"
            u"file:///path/snap.json — a snapshot (File ▸ Save snapshot…), read-only\n\n"
            u"Type one in the Source bar (Ctrl+L), or use File ▸ Connection… for TLS and "
            u"credentials. The README lists them all."_s);
    });
    help->addSeparator();
    QAction* about = help->addAction(u"&About regscope"_s);
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, u"About regscope"_s,
                           u"regscope %1 — a desktop debugger for registries: in-process "
                           u"registries, discovery servers and etcd, with a sacrificial "
                           u"plugin loader."_s.arg(QApplication::applicationVersion()));
    });
}

void MainWindow::updateStatus() {
    if (!m_store)
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const quint64 events = m_store->eventsApplied();
    const double seconds = std::max<qint64>(now - m_lastStatusMs, 1) / 1000.0;
    m_connectionBar->setFreshness(m_store->lastDeliveryMs(), now, m_store->isStale(now));
    if (m_broker)
        m_connectionBar->setRetryAvailable(m_store->health().state == HealthState::Down &&
                                           m_broker->controls()->canRetryNow());
    m_rateLabel->setText(u"%1 events/s"_s.arg(double(events - m_lastEvents) / seconds, 0, 'f', 0));
    m_lastEvents = events;
    m_lastStatusMs = now;
    m_sizeLabel->setText(u"entries %1 · instances %2 · keys %3 · history %4 of %5 MB"_s
                             .arg(m_store->count(RecordKind::Entry))
                             .arg(m_store->count(RecordKind::Instance))
                             .arg(m_store->count(RecordKind::Key))
                             .arg(double(m_store->historyBytes()) / (1 << 20), 0, 'f', 1)
                             .arg(m_store->historyBudgetBytes() >> 20));
}

void MainWindow::setTheme(Theme theme, Remember remember) {
    m_theme = theme;
    QApplication::setStyle(QStyleFactory::create(u"Fusion"_s));
    QApplication::setPalette(
        theme::palette(theme == Theme::Dark ? ThemeKind::Dark : ThemeKind::Light));
    if (remember == Remember::Yes)
        QSettings().setValue(u"window/theme"_s, theme == Theme::Dark ? u"dark"_s : u"light"_s);
    Q_EMIT themeChanged();
}

void MainWindow::restoreLayout() {
    QSettings settings;
    restoreGeometry(settings.value(u"window/geometry"_s).toByteArray());
    restoreState(settings.value(u"window/state"_s).toByteArray());
    setTheme(settings.value(u"window/theme"_s).toString() == u"dark"_s ? Theme::Dark
                                                                       : Theme::Light);
    showPanel(settings.value(u"window/panel"_s).toString());
}

void MainWindow::saveLayout() const {
    QSettings settings;
    settings.setValue(u"window/geometry"_s, saveGeometry());
    settings.setValue(u"window/state"_s, saveState());
    settings.setValue(u"window/panel"_s, m_tabs->tabText(m_tabs->currentIndex()));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveLayout();
    QMainWindow::closeEvent(event);
}

} // namespace regscope
