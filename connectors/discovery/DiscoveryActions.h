#pragma once
// The discovery side of the actions (bilibili/discovery API): cancel instances, set status
// and/or metadata of instances of one app in ONE /discovery/set request (all or nothing, as
// the server does it), register a test instance. The HTTP work runs on the executor's own
// thread, never the GUI thread; cancel() aborts the request in flight.

#include "models/actions/ActionExecutor.h"

#include <QThread>
#include <QUrl>

#include <expected>
#include <vector>

namespace regscope {

class DiscoveryActionsWorker;

class DiscoveryActions : public ActionExecutor {
public:
    struct Options {
        int requestTimeoutMs = 10'000;
        qint64 maxReplyBytes = 1024 * 1024; // an action's answer is a small envelope
        int maxInstances = 1000;            // per request
    };
    explicit DiscoveryActions(QUrl base);
    DiscoveryActions(QUrl base, Options options);
    ~DiscoveryActions() override; // aborts what is in flight and joins the thread

    bool supports(ActionKind kind) const override;
    void execute(ActionId id, const ActionRequest& request, Done done) override;
    void cancel(ActionId id) override;

    // The form a request becomes (endpoint path + body), or why it cannot be sent. Public
    // for the confirmation dialog's "request" view and the tests.
    struct Form {
        QString path;
        QByteArray body; // application/x-www-form-urlencoded
    };
    static std::expected<std::vector<Form>, ActionResult> forms(const ActionRequest& request,
                                                                int maxInstances = 1000);

private:
    Options m_options;
    QThread m_thread;
    DiscoveryActionsWorker* m_worker = nullptr;
};

} // namespace regscope
