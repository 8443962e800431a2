#pragma once
// The discovery actions as the instances view offers them: cancel the selected instances,
// set their status and/or metadata (one all-or-nothing request), register a test instance
// from a form. Each goes through the ActionRunner's confirmation.

#include "models/actions/ActionTypes.h"

#include <QDialog>
#include <QObject>

class QComboBox;
class QLineEdit;
class QPushButton;

namespace regscope {

class ActionConfirmDialog;
class ActionRunner;

// The form of a set (status + metadata for the given instances) or of a test registration.
class InstanceFormDialog : public QDialog {
    Q_OBJECT
public:
    enum class Mode : quint8 { Set, Register };
    InstanceFormDialog(Mode mode, QString source, QList<InstanceRef> instances,
                       QWidget* parent = nullptr);

    ActionRequest request() const;
    QString error() const; // why request() cannot be sent (empty: it can)
    QComboBox* statusBox() const { return m_status; }
    QLineEdit* metadataEdit() const { return m_metadata; }
    QLineEdit* field(const QString& name) const; // Register: zone env appid hostname addrs version
    QPushButton* okButton() const { return m_ok; }

private:
    void updateOk();

    Mode m_mode;
    QString m_source;
    QList<InstanceRef> m_instances;
    QComboBox* m_status;
    QLineEdit* m_metadata;
    QList<QLineEdit*> m_fields;
    QPushButton* m_ok;
};

// "k=v, k2=v2" → map; an entry without '=' is an error.
std::optional<QMap<QString, QString>> parseMetadataText(const QString& text);

class InstanceActions : public QObject {
    Q_OBJECT
public:
    InstanceActions(ActionRunner* runner, QString source, QObject* parent = nullptr);

    void setSource(const QString& source) { m_source = source; }
    const QString& source() const { return m_source; }
    bool writable() const;
    QString readOnlyReason() const; // empty when writable
    ActionConfirmDialog* cancel(const QList<InstanceRef>& instances);
    InstanceFormDialog* set(const QList<InstanceRef>& instances); // null when read-only
    InstanceFormDialog* registerTest(const InstanceRef& defaults);

private:
    InstanceFormDialog* openForm(InstanceFormDialog::Mode mode, QList<InstanceRef> instances);

    ActionRunner* m_runner;
    QString m_source;
};

} // namespace regscope
