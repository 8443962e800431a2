#pragma once
// Create or edit one etcd key: the key, the value editor, the lease it keeps. Accepting it
// builds the guarded put request (on the mod_revision the user saw); the confirmation and
// the sending are EtcdKeyActions' business.

#include "models/SourceEvent.h"
#include "models/actions/ActionTypes.h"

#include <QDialog>

class QLabel;
class QLineEdit;
class QPushButton;

namespace regscope {

class EtcdValueEditor;

class KeyEditDialog : public QDialog {
    Q_OBJECT
public:
    // existing.key empty: create a new key (keyPrefix pre-filled).
    KeyEditDialog(QString source, const KeyRecord& existing, const QByteArray& keyPrefix,
                  QWidget* parent = nullptr);

    ActionRequest request() const;
    EtcdValueEditor* editor() const { return m_editor; }
    QLineEdit* keyEdit() const { return m_key; }
    QPushButton* okButton() const { return m_ok; }

private:
    void updateOk();

    QString m_source;
    KeyRecord m_existing;
    QLineEdit* m_key;
    EtcdValueEditor* m_editor;
    QPushButton* m_ok;
};

} // namespace regscope
