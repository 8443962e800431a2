#pragma once
// The review of a reload in the Plugins panel: the new build waits beside the running one. It
// shows the diff (exports, NEEDED, registrations, version), lets the user send both builds the
// same payloads (shadow: typed, from a file, or the recorded recent invokes), lists their
// answers with the divergences marked, and switches only on Accept. Hidden when no reload
// waits. It asks PluginActions for everything; the panel supplies the typed method and payload.

#include <QGroupBox>

#include <functional>

class QLabel;
class QPushButton;
class QTableWidget;

namespace regscope {

class PluginActions;
struct PluginRow;

class ReloadReview : public QGroupBox {
    Q_OBJECT
public:
    // typed(): the method and payload the panel's invoke row holds now.
    ReloadReview(PluginActions* actions, std::function<std::pair<QString, QByteArray>()> typed,
                 QWidget* parent = nullptr);

    // Shows `row`'s waiting reload, or hides itself when there is none.
    void setRow(const PluginRow* row);

    QPushButton* acceptButton() const { return m_accept; }
    QPushButton* discardButton() const { return m_discard; }
    QPushButton* shadowButton() const { return m_shadow; }
    QPushButton* replayButton() const { return m_replay; }
    QTableWidget* table() const { return m_table; }
    QLabel* summary() const { return m_summary; }

private:
    void shadowFile();

    PluginActions* m_actions;
    std::function<std::pair<QString, QByteArray>()> m_typed;
    QString m_path;
    QLabel* m_summary;
    QPushButton* m_accept;
    QPushButton* m_discard;
    QPushButton* m_shadow;
    QPushButton* m_shadowFile;
    QPushButton* m_replay;
    QTableWidget* m_table;
};

} // namespace regscope
