#pragma once
// What is in flight, in the status bar: "Sending: delete /x/ (2 s)" with a Cancel button while
// the runner has actions out, hidden otherwise. Cancel asks the ActionControl to end them; the
// result (canceled) comes back through the runner as any other.

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

class QLabel;
class QPushButton;

namespace regscope {

class ActionRunner;

class ActionProgress : public QWidget {
    Q_OBJECT
public:
    explicit ActionProgress(ActionRunner* runner, QWidget* parent = nullptr);

    QLabel* label() const { return m_label; }
    QPushButton* cancelButton() const { return m_cancel; }

private:
    void refresh();

    ActionRunner* m_runner;
    QLabel* m_label;
    QPushButton* m_cancel;
    QTimer m_tick;
    QElapsedTimer m_since; // since the oldest action still out was sent
};

} // namespace regscope
