#pragma once
// "This is exactly what will happen": the source, the key / instances, the request as it will
// be sent. A destructive action on more than one item asks for the count to be typed before
// the confirm button works (k9s-style). Shown with open(), never exec(): the GUI keeps running.

#include "models/actions/ActionTypes.h"

#include <QDialog>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace regscope {

class ActionConfirmDialog : public QDialog {
    Q_OBJECT
public:
    explicit ActionConfirmDialog(ActionRequest request, QWidget* parent = nullptr);

    const ActionRequest& request() const { return m_request; }
    bool needsTypedCount() const;
    QLineEdit* countEdit() const { return m_count; } // null unless needsTypedCount()
    QPushButton* confirmButton() const { return m_confirm; }
    QPlainTextEdit* detailsView() const { return m_details; }

private:
    void updateConfirm();

    ActionRequest m_request;
    QPlainTextEdit* m_details = nullptr;
    QLineEdit* m_count = nullptr;
    QPushButton* m_confirm = nullptr;
};

} // namespace regscope
