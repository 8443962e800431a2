#include "models/SourceControls.h"

using namespace Qt::StringLiterals;

namespace regscope {

SourceControls::~SourceControls() = default;

void SourceControls::requestRevisionState(quint64 requestId, qint64 revision) {
    // Answered at once, so a caller that did not ask supportsTimeTravel() first never waits.
    RevisionState state;
    state.requestId = requestId;
    state.revision = revision;
    state.error = u"this source has no revisions: time travel needs an etcd source"_s;
    QMetaObject::invokeMethod(
        this, [this, state] { Q_EMIT revisionStateReady(state); }, Qt::QueuedConnection);
}

ControlBroker::ControlBroker(QObject* parent)
    : QObject(parent) {
    setControls(nullptr);
}

ControlBroker::~ControlBroker() = default;

SourceControls* ControlBroker::controls() const {
    return m_current ? m_current.data() : &m_none;
}

void ControlBroker::setControls(SourceControls* controls, const QString& source) {
    disconnect(m_forward);
    m_current = controls;
    m_source = source;
    m_forward = connect(this->controls(), &SourceControls::revisionStateReady, this,
                        &ControlBroker::revisionStateReady);
    Q_EMIT controlsChanged();
}

} // namespace regscope
