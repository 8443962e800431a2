#pragma once
// The concrete ActionControl the Session hands to views: checks the policy, runs the request
// on the source's executor (off the GUI thread), writes the action log, puts every action on
// the Timeline (timelineReady: connect it to Store::apply) and reports finished().

#include "models/actions/ActionControl.h"
#include "models/actions/ActionExecutor.h"
#include "models/actions/ActionLog.h"
#include "models/actions/ActionPolicy.h"

#include <QHash>

#include <memory>

namespace regscope {

class ActionDispatcher : public ActionControl {
    Q_OBJECT
public:
    // log may be null (no action log); both must outlive the dispatcher.
    ActionDispatcher(ActionPolicy* policy, ActionLog* log, QObject* parent = nullptr);
    ~ActionDispatcher() override;

    // The source's executor (null: the source cannot act, e.g. the in-process registry).
    void setExecutor(const QString& source, std::shared_ptr<ActionExecutor> executor);
    // The source went away: actions in flight are canceled, its toggle is forgotten.
    void removeSource(const QString& source);

    ActionId submit(const ActionRequest& request) override;
    void cancel(ActionId id) override;
    bool isInFlight(ActionId id) const override;
    bool isWritable(const QString& source) const override;
    QString readOnlyReason(const QString& source) const override;
    bool canAllowWrites(const QString& source) const override;
    bool setWritable(const QString& source, bool writable) override;
    bool supports(const QString& source, ActionKind kind) const override;

    ActionPolicy* policy() const { return m_policy; }

Q_SIGNALS:
    // One TimelineEvent per action submitted and per action finished (category "action").
    void timelineReady(regscope::EventBatchPtr batch);

private:
    struct InFlight {
        ActionRequest request;
        std::shared_ptr<ActionExecutor> executor;
    };
    void complete(ActionId id, ActionResult result);
    void finishLater(ActionId id, const ActionRequest& request, ActionResult result);
    void record(ActionId id, const ActionRequest& request, const ActionResult& result);
    void emitTimeline(const ActionRequest& request, const QString& text);

    struct Mailbox;
    ActionPolicy* m_policy;
    ActionLog* m_log;
    QHash<QString, std::shared_ptr<ActionExecutor>> m_executors;
    QHash<ActionId, InFlight> m_inFlight;
    ActionId m_nextId = 1;
    std::shared_ptr<Mailbox> m_mailbox;
};

} // namespace regscope
