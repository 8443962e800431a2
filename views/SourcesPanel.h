#pragma once
// Sources: every source of the session with its health (connecting / live / degraded / down,
// with the reason) and what it holds. A URL typed here is watched beside the panels' source;
// "Show in panels" (or a double-click) puts a watched source in the panels.

#include <QWidget>

#include <functional>

class QLabel;
class QLineEdit;
class QTableView;

namespace regscope {

class SourcesModel;

class SourcesPanel : public QWidget {
    Q_OBJECT
public:
    // watch(url) returns an error sentence, or an empty string when the source was added.
    struct Actions {
        std::function<QString(const QString& url)> watch;
        std::function<void(int row)> unwatch;
        std::function<void(int row)> showInPanels;
    };
    SourcesPanel(SourcesModel* model, Actions actions, QWidget* parent = nullptr);

    QTableView* view() const { return m_view; }
    QLineEdit* urlEdit() const { return m_url; }
    QLabel* errorLabel() const { return m_error; }
    void watchTyped(); // what the Watch button does

private:
    int currentRow() const;

    SourcesModel* m_model;
    Actions m_actions;
    QTableView* m_view;
    QLineEdit* m_url;
    QLabel* m_error;
};

} // namespace regscope
