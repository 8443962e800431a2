#pragma once
// "⚠ N alerts" in the status bar while any alert is active (hidden at none); a click lists
// the active alerts. Coloured as a warning through views/Theme, in both themes.

#include <QToolButton>

namespace regscope {

class AlertEngine;

class AlertBadge : public QToolButton {
    Q_OBJECT
public:
    explicit AlertBadge(AlertEngine* engine, QWidget* parent = nullptr);

    // The lines the click shows, one per active alert, oldest first.
    QStringList lines() const;
    // Re-reads the theme's warning colours (MainWindow::themeChanged).
    void applyTheme();

Q_SIGNALS:
    void settingsRequested();

protected:
    void changeEvent(QEvent* event) override;

private:
    void refresh();
    void showList();

    AlertEngine* m_engine;
};

} // namespace regscope
