#include "models/actions/ActionPolicy.h"

#include <atomic>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
std::atomic<bool> g_forced{false};
}

ActionPolicy::ActionPolicy(QObject* parent)
    : QObject(parent) {}

ActionPolicy::~ActionPolicy() = default;

void ActionPolicy::forceReadOnly() {
    g_forced.store(true);
}

bool ActionPolicy::readOnlyForced() {
    return g_forced.load();
}

void ActionPolicy::pinReadOnly(const QString& source, const QString& reason) {
    m_pinned.insert(source, reason);
    if (m_writable.remove(source))
        Q_EMIT writableChanged(source, false);
}

bool ActionPolicy::isWritable(const QString& source) const {
    return canAllowWrites(source) && m_writable.contains(source);
}

QString ActionPolicy::readOnlyReason(const QString& source) const {
    if (readOnlyForced())
        return u"read-only for this session (--read-only)"_s;
    if (const auto it = m_pinned.constFind(source); it != m_pinned.cend())
        return *it;
    if (!m_writable.contains(source))
        return u"read-only: turn on \"writes allowed\" for this source to act on it"_s;
    return QString();
}

bool ActionPolicy::canAllowWrites(const QString& source) const {
    return !readOnlyForced() && !m_pinned.contains(source) && !source.isEmpty();
}

bool ActionPolicy::setWritable(const QString& source, bool writable) {
    if (writable && !canAllowWrites(source))
        return false;
    const bool changed = writable ? !m_writable.contains(source) : m_writable.contains(source);
    if (writable)
        m_writable.insert(source);
    else
        m_writable.remove(source);
    if (changed)
        Q_EMIT writableChanged(source, writable);
    return true;
}

void ActionPolicy::forget(const QString& source) {
    m_pinned.remove(source);
    if (m_writable.remove(source))
        Q_EMIT writableChanged(source, false);
}

ActionResult ActionPolicy::check(const ActionRequest& request) const {
    if (!isWrite(request.kind) || isWritable(request.source))
        return ActionResult{};
    return ActionResult::failure(ActionResult::Code::ReadOnly, u"refused: "_s + request.summary() +
                                                                   u" — "_s +
                                                                   readOnlyReason(request.source));
}

} // namespace regscope
