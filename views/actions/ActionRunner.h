#pragma once
// Runs actions the way the window must: refuse at once (with the reason) when the source is
// read-only, show the confirmation, submit on confirm, and show a failure in the server's own
// words. It never touches a model: the source's watch/poll brings the change.

#include "models/actions/ActionTypes.h"

#include <QHash>
#include <QMessageBox>
#include <QObject>
#include <QPointer>

class QWidget;

namespace regscope {

class ActionConfirmDialog;
class ActionControl;

class ActionRunner : public QObject {
    Q_OBJECT
public:
    ActionRunner(ActionControl* control, QWidget* window);

    ActionControl* control() const { return m_control; }
    // Writes: the confirmation first (null when refused at once). Reads: submitted at once.
    ActionConfirmDialog* confirmAndSubmit(const ActionRequest& request);
    // Sends without a dialog: for reads, and for a request already confirmed.
    ActionId submit(const ActionRequest& request);
    void cancelAll();
    QList<ActionId> inFlight() const { return m_requests.keys(); }
    ActionRequest request(ActionId id) const { return m_requests.value(id); }
    // The last failure shown (tests; the status bar).
    QMessageBox* lastNotice() const { return m_notice; }

Q_SIGNALS:
    void submitted(regscope::ActionId id, const regscope::ActionRequest& request);
    void finished(regscope::ActionId id, const regscope::ActionRequest& request,
                  const regscope::ActionResult& result);

private:
    void onFinished(ActionId id, const ActionResult& result);
    void notify(const QString& title, const QString& text, const QString& detail);

    ActionControl* m_control;
    QPointer<QWidget> m_window;
    QHash<ActionId, ActionRequest> m_requests;
    QPointer<QMessageBox> m_notice;
};

} // namespace regscope
