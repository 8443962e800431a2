#pragma once
// The per-source write switch, always visible: "read-only" until the user turns on "writes
// allowed" for this run. Disabled, with the reason, when writes cannot be allowed (--read-only,
// the in-process registry). It only asks the ActionControl; it remembers nothing itself.

#include <QWidget>

class QCheckBox;
class QLabel;

namespace regscope {

class ActionControl;

class WriteToggle : public QWidget {
    Q_OBJECT
public:
    WriteToggle(ActionControl* control, QString source, QWidget* parent = nullptr);

    void setSource(const QString& source);
    QString source() const { return m_source; }
    QCheckBox* checkBox() const { return m_check; }
    QLabel* stateLabel() const { return m_state; }

private:
    void refresh();

    ActionControl* m_control;
    QString m_source;
    QCheckBox* m_check;
    QLabel* m_state;
};

} // namespace regscope
