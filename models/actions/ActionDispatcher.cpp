#include "models/actions/ActionDispatcher.h"

#include <QDateTime>
#include <QMetaObject>
#include <QPointer>

#include <mutex>

using namespace Qt::StringLiterals;

namespace regscope {

ActionControl::~ActionControl() = default;
ActionExecutor::~ActionExecutor() = default;

// Lets executor threads post results to the dispatcher for as long as it lives.
struct ActionDispatcher::Mailbox {
    std::mutex mutex;
    ActionDispatcher* target = nullptr;
};

ActionDispatcher::ActionDispatcher(ActionPolicy* policy, ActionLog* log, QObject* parent)
    : ActionControl(parent)
    , m_policy(policy)
    , m_log(log)
    , m_mailbox(std::make_shared<Mailbox>()) {
    qRegisterMetaType<ActionResult>();
    qRegisterMetaType<ActionRequest>();
    m_mailbox->target = this;
    connect(m_policy, &ActionPolicy::writableChanged, this, &ActionControl::writableChanged);
}

ActionDispatcher::~ActionDispatcher() {
    {
        std::lock_guard lock(m_mailbox->mutex);
        m_mailbox->target = nullptr;
    }
    for (auto it = m_inFlight.cbegin(); it != m_inFlight.cend(); ++it)
        it->executor->cancel(it.key());
}

void ActionDispatcher::setExecutor(const QString& source,
                                   std::shared_ptr<ActionExecutor> executor) {
    if (executor)
        m_executors.insert(source, std::move(executor));
    else
        m_executors.remove(source);
}

void ActionDispatcher::removeSource(const QString& source) {
    for (auto it = m_inFlight.cbegin(); it != m_inFlight.cend(); ++it)
        if (it->request.source == source)
            it->executor->cancel(it.key());
    m_executors.remove(source);
    m_policy->forget(source);
}

ActionId ActionDispatcher::submit(const ActionRequest& request) {
    const ActionId id = m_nextId++;
    if (ActionResult refused = m_policy->check(request); !refused.ok()) {
        finishLater(id, request, std::move(refused));
        return id;
    }
    const auto executor = m_executors.value(request.source);
    if (!executor || !executor->supports(request.kind)) {
        finishLater(id, request,
                    ActionResult::failure(ActionResult::Code::Unsupported,
                                          u"this source cannot "_s + request.summary()));
        return id;
    }
    m_inFlight.insert(id, InFlight{request, executor});
    if (isWrite(request.kind))
        emitTimeline(request, u"sent: "_s + request.summary());
    executor->execute(id, request, [box = m_mailbox, id](ActionResult result) {
        std::lock_guard lock(box->mutex);
        if (!box->target)
            return;
        QMetaObject::invokeMethod(
            box->target,
            [target = box->target, id, result = std::move(result)]() mutable {
                target->complete(id, std::move(result));
            },
            Qt::QueuedConnection);
    });
    return id;
}

void ActionDispatcher::cancel(ActionId id) {
    if (const auto it = m_inFlight.constFind(id); it != m_inFlight.cend())
        it->executor->cancel(id);
}

bool ActionDispatcher::isInFlight(ActionId id) const {
    return m_inFlight.contains(id);
}

bool ActionDispatcher::isWritable(const QString& source) const {
    return m_policy->isWritable(source);
}

QString ActionDispatcher::readOnlyReason(const QString& source) const {
    return m_policy->readOnlyReason(source);
}

bool ActionDispatcher::canAllowWrites(const QString& source) const {
    return m_policy->canAllowWrites(source);
}

bool ActionDispatcher::setWritable(const QString& source, bool writable) {
    return m_policy->setWritable(source, writable);
}

bool ActionDispatcher::supports(const QString& source, ActionKind kind) const {
    const auto executor = m_executors.value(source);
    return executor && executor->supports(kind);
}

void ActionDispatcher::complete(ActionId id, ActionResult result) {
    const auto it = m_inFlight.find(id);
    if (it == m_inFlight.end())
        return;
    const ActionRequest request = it->request;
    m_inFlight.erase(it);
    record(id, request, result);
    Q_EMIT finished(id, result);
}

void ActionDispatcher::finishLater(ActionId id, const ActionRequest& request, ActionResult result) {
    record(id, request, result);
    // Queued so that a caller connecting after submit() still hears it.
    QMetaObject::invokeMethod(
        this, [this, id, result = std::move(result)] { Q_EMIT finished(id, result); },
        Qt::QueuedConnection);
}

void ActionDispatcher::record(ActionId id, const ActionRequest& request,
                              const ActionResult& result) {
    if (!isWrite(request.kind))
        return; // reads (history, lease lists) change nothing: not actions to record
    if (m_log)
        m_log->append(id, request, result);
    QString text = codeText(result.code) + u": "_s + request.summary();
    if (!result.message.isEmpty())
        text += u" — "_s + result.message;
    emitTimeline(request, text);
}

void ActionDispatcher::emitTimeline(const ActionRequest& request, const QString& text) {
    auto batch = std::make_shared<EventBatch>();
    batch->push_back(
        TimelineEvent{QDateTime::currentMSecsSinceEpoch(), u"action"_s, request.summary(), text});
    Q_EMIT timelineReady(batch);
}

} // namespace regscope
