#pragma once
// Puts the alerts into the window: the status-bar badge, Settings ▸ Alerts… (the rules are
// saved with QSettings, group "alerts") and a desktop notification for each raised alert
// (QSystemTrayIcon::showMessage, only where a system tray exists).

class QSystemTrayIcon;

namespace regscope {

class AlertEngine;
class AlertSettingsDialog;
class MainWindow;

void installAlerts(MainWindow* window, AlertEngine* engine);
// Opens Settings ▸ Alerts… (window-modal, open()); accepted rules go to the engine and QSettings.
AlertSettingsDialog* openAlertSettings(MainWindow* window, AlertEngine* engine);

} // namespace regscope
