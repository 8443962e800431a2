#include "views/alerts/AlertsUi.h"

#include "models/alerts/AlertEngine.h"
#include "views/MainWindow.h"
#include "views/alerts/AlertBadge.h"
#include "views/alerts/AlertSettingsDialog.h"

#include <QApplication>
#include <QMenuBar>
#include <QSettings>
#include <QStatusBar>
#include <QSystemTrayIcon>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

// The tray icon exists only to carry notifications: made at the first alert, where a tray is.
void notify(MainWindow* window, const Alert& alert) {
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    auto* tray = window->findChild<QSystemTrayIcon*>(u"alertTray"_s);
    if (!tray) {
        tray = new QSystemTrayIcon(window);
        tray->setObjectName(u"alertTray"_s);
        QIcon icon = window->windowIcon();
        if (icon.isNull())
            icon = QApplication::windowIcon();
        tray->setIcon(icon);
        tray->setToolTip(u"regscope alerts"_s);
        QObject::connect(tray, &QSystemTrayIcon::messageClicked, window, [window] {
            window->showPanel(u"Timeline"_s);
            window->raise();
            window->activateWindow();
        });
        tray->show();
    }
    tray->showMessage(u"regscope: "_s + ruleTitle(alert.rule).toLower(),
                      alert.subject + u": "_s + alert.message, QSystemTrayIcon::Warning, 10000);
}

} // namespace

AlertSettingsDialog* openAlertSettings(MainWindow* window, AlertEngine* engine) {
    if (auto* open = window->findChild<AlertSettingsDialog*>(); open && open->isVisible()) {
        open->raise();
        return open;
    }
    auto* dialog = new AlertSettingsDialog(engine->rules(), window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    QObject::connect(dialog, &AlertSettingsDialog::rulesAccepted, engine,
                     [engine](const AlertRules& rules) {
                         QSettings settings;
                         rules.save(settings);
                         engine->setRules(rules);
                     });
    dialog->open();
    return dialog;
}

void installAlerts(MainWindow* window, AlertEngine* engine) {
    auto* badge = new AlertBadge(engine, window);
    window->statusBar()->insertPermanentWidget(0, badge);
    QObject::connect(window, &MainWindow::themeChanged, badge, &AlertBadge::applyTheme);
    QObject::connect(badge, &AlertBadge::settingsRequested, window,
                     [window, engine] { openAlertSettings(window, engine); });
    // Settings ▸ Alerts…, before Help.
    auto* settings = new QMenu(u"&Settings"_s, window);
    settings->setObjectName(u"settingsMenu"_s);
    QAction* alerts = settings->addAction(u"&Alerts…"_s);
    alerts->setObjectName(u"alertSettingsAction"_s);
    QObject::connect(alerts, &QAction::triggered, window,
                     [window, engine] { openAlertSettings(window, engine); });
    QMenuBar* bar = window->menuBar();
    const QList<QAction*> menus = bar->actions();
    bar->insertMenu(menus.isEmpty() ? nullptr : menus.last(), settings);
    QObject::connect(engine, &AlertEngine::raised, window,
                     [window](const Alert& a) { notify(window, a); });
}

} // namespace regscope
