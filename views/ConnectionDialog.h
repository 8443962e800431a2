#pragma once
// The connection dialog: the source URL, the source kind read from its scheme, and for etcd
// the TLS files, server name, user and password; a list of saved profiles to pick from or
// delete. It edits a ConnectionProfile value and never saves or connects itself: the app does
// both when profileAccepted / profileDeleteRequested arrive. Open it with open(), not exec().

#include "models/ConnectionProfile.h"

#include <QDialog>

class QCheckBox;
class QDialogButtonBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;

namespace regscope {

class WorkspaceBox;

class ConnectionDialog : public QDialog {
    Q_OBJECT
public:
    explicit ConnectionDialog(QWidget* parent = nullptr);

    // The saved profiles listed on the left (keyed by displayName()).
    void setProfiles(const QList<ConnectionProfile>& profiles);
    QList<ConnectionProfile> profiles() const { return m_profiles; }
    // Fills the form.
    void setProfile(const ConnectionProfile& profile);
    // What the form holds now.
    ConnectionProfile profile() const;
    bool saveRequested() const;
    void setSaveRequested(bool save);
    // The named sets of sources under the saved profiles.
    WorkspaceBox* workspaceBox() const { return m_workspaces; }
    // The validation message shown, empty when none.
    QString errorText() const;

    // Validates first: on a problem the dialog stays open, shows the message and focuses the
    // field at fault; otherwise emits profileAccepted and closes.
    void accept() override;

Q_SIGNALS:
    void profileAccepted(const regscope::ConnectionProfile& profile, bool save);
    void profileDeleteRequested(const QString& name);

private:
    // A labelled line edit named `name` (tests and validation focus find fields by name).
    QLineEdit* addLine(QFormLayout* form, QWidget* parent, const QString& label,
                       const QString& name, const QString& placeholder);
    QLineEdit* addFileRow(QFormLayout* form, const QString& label, const QString& name,
                          const QString& title);
    void updateKind();
    void showError(const QString& message);
    void deleteSelected();

    QList<ConnectionProfile> m_profiles;
    QListWidget* m_list = nullptr;
    QPushButton* m_delete = nullptr;
    QLineEdit* m_name = nullptr;
    QLineEdit* m_url = nullptr;
    QLabel* m_kind = nullptr;
    QGroupBox* m_etcd = nullptr;
    QLineEdit* m_caFile = nullptr;
    QLineEdit* m_certFile = nullptr;
    QLineEdit* m_keyFile = nullptr;
    QLineEdit* m_serverName = nullptr;
    QLineEdit* m_user = nullptr;
    QLineEdit* m_password = nullptr;
    QCheckBox* m_save = nullptr;
    QLabel* m_message = nullptr;
    QDialogButtonBox* m_buttons = nullptr;
    WorkspaceBox* m_workspaces = nullptr;
};

} // namespace regscope
