#include "views/actions/ActionRunner.h"

#include "models/actions/ActionControl.h"
#include "views/actions/ActionConfirmDialog.h"

#include <QMessageBox>
#include <QWidget>

using namespace Qt::StringLiterals;

namespace regscope {

ActionRunner::ActionRunner(ActionControl* control, QWidget* window)
    : QObject(window)
    , m_control(control)
    , m_window(window) {
    connect(m_control, &ActionControl::finished, this, &ActionRunner::onFinished);
}

ActionConfirmDialog* ActionRunner::confirmAndSubmit(const ActionRequest& request) {
    if (!isWrite(request.kind)) {
        submit(request);
        return nullptr;
    }
    if (!m_control->isWritable(request.source)) {
        notify(u"Read-only"_s, request.summary() + u" was not sent."_s,
               m_control->readOnlyReason(request.source));
        return nullptr;
    }
    auto* dialog = new ActionConfirmDialog(request, m_window);
    connect(dialog, &QDialog::accepted, this, [this, dialog] { submit(dialog->request()); });
    dialog->open();
    return dialog;
}

ActionId ActionRunner::submit(const ActionRequest& request) {
    const ActionId id = m_control->submit(request);
    m_requests.insert(id, request);
    Q_EMIT submitted(id, request);
    return id;
}

void ActionRunner::cancelAll() {
    const auto ids = m_requests.keys();
    for (const ActionId id : ids)
        m_control->cancel(id);
}

void ActionRunner::onFinished(ActionId id, const ActionResult& result) {
    const auto it = m_requests.find(id);
    if (it == m_requests.end())
        return; // someone else's action
    const ActionRequest request = *it;
    m_requests.erase(it);
    if (!result.ok() && result.code != ActionResult::Code::Canceled) {
        QString detail;
        if (result.code == ActionResult::Code::Conflict && result.currentExists)
            detail = u"Current value (mod_revision "_s +
                     QString::number(result.current.modRevision) + u"):\n"_s +
                     QString::fromUtf8(result.current.value.left(4096));
        notify(u"Action failed: "_s + codeText(result.code),
               request.summary() + u"\n\n"_s + result.message, detail);
    }
    Q_EMIT finished(id, request, result);
}

void ActionRunner::notify(const QString& title, const QString& text, const QString& detail) {
    if (m_notice)
        m_notice->close();
    auto* box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Close, m_window);
    box->setObjectName(u"actionNotice"_s);
    box->setAttribute(Qt::WA_DeleteOnClose);
    if (!detail.isEmpty())
        box->setDetailedText(detail);
    m_notice = box;
    box->open();
}

} // namespace regscope
