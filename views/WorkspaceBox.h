#pragma once
// The connection dialog's workspaces: named sets of sources opened together (the first in the
// panels, the others watched). Save keeps the window's current sources under a name; the app
// stores them (a workspace names saved profiles or URLs, never a password).

#include "models/ConnectionProfile.h"

#include <QWidget>

class QLineEdit;
class QListWidget;
class QPushButton;

namespace regscope {

class WorkspaceBox : public QWidget {
    Q_OBJECT
public:
    explicit WorkspaceBox(QWidget* parent = nullptr);

    void setWorkspaces(const QList<Workspace>& workspaces);
    // The sources a Save would keep (the window's, panels' source first).
    void setCurrentSources(const QStringList& sources);
    QListWidget* list() const { return m_list; }
    QLineEdit* nameEdit() const { return m_name; }
    void saveCurrent(); // what the Save button does
    void openSelected();

Q_SIGNALS:
    void openRequested(const regscope::Workspace& workspace);
    void saveRequested(const regscope::Workspace& workspace);
    void deleteRequested(const QString& name);

private:
    QList<Workspace> m_workspaces;
    QStringList m_current;
    QListWidget* m_list;
    QLineEdit* m_name;
    QPushButton* m_open;
    QPushButton* m_delete;
};

} // namespace regscope
