#include "models/etcd/EtcdTimeTravel.h"

#include "models/SourceControls.h"

#include <QThread>

using namespace Qt::StringLiterals;

namespace regscope {

EtcdTimeTravel::EtcdTimeTravel(ControlBroker* broker, QObject* parent)
    : QObject(parent)
    , m_broker(broker) {
    connect(broker, &ControlBroker::revisionStateReady, this, &EtcdTimeTravel::onRevisionState);
    connect(broker, &ControlBroker::controlsChanged, this, [this] {
        // A new source: its revisions are not the old one's.
        m_pending.clear();
        m_diffFrom.reset();
        m_diffTo.reset();
        m_floor = m_current = m_shown = 0;
    });
}

bool EtcdTimeTravel::available() const {
    return m_broker->controls()->supportsTimeTravel();
}

quint64 EtcdTimeTravel::ask(Purpose purpose, qint64 revision, quint64 diffId) {
    if (m_pending.size() > 16)
        m_pending.clear(); // answers to questions nobody waits for any more
    const quint64 id = m_nextId++;
    m_pending.insert(id, Pending{purpose, revision, diffId});
    // A source without revisions answers at once with an error: failed(), never a spinner.
    m_broker->controls()->requestRevisionState(id, revision);
    return id;
}

void EtcdTimeTravel::viewAt(qint64 revision) {
    ask(Purpose::View, revision);
}

void EtcdTimeTravel::diff(qint64 fromRevision, qint64 toRevision) {
    m_diffId = m_nextId;
    m_diffFrom.reset();
    m_diffTo.reset();
    ask(Purpose::DiffFrom, fromRevision, m_diffId);
    ask(Purpose::DiffTo, toRevision, m_diffId);
}

void EtcdTimeTravel::refreshBounds() {
    ask(Purpose::Bounds, 0);
}

void EtcdTimeTravel::noteBounds(const RevisionState& state) {
    const qint64 floor = state.compactFloor > 0 ? state.compactFloor : m_floor;
    const qint64 current = std::max(m_current, state.headerRevision);
    if (floor != m_floor || current != m_current) {
        m_floor = floor;
        m_current = current;
        Q_EMIT boundsChanged(m_floor, m_current);
    }
}

void EtcdTimeTravel::onRevisionState(const RevisionState& state) {
    Q_ASSERT(QThread::currentThread() == thread());
    const auto it = m_pending.constFind(state.requestId);
    if (it == m_pending.constEnd())
        return;
    const Pending p = *it;
    m_pending.erase(it);
    noteBounds(state);
    if (!state.ok) {
        Q_EMIT failed(state.error);
        return;
    }
    switch (p.purpose) {
    case Purpose::Bounds:
        return;
    case Purpose::View:
        m_state.setState(state.kvs);
        m_shown = state.revision;
        Q_EMIT stateShown(state.revision);
        return;
    case Purpose::DiffFrom:
    case Purpose::DiffTo:
        if (p.diffId != m_diffId)
            return; // a newer diff was asked for
        (p.purpose == Purpose::DiffFrom ? m_diffFrom : m_diffTo) = state;
        if (m_diffFrom && m_diffTo) {
            m_diff.setDiff(m_diffFrom->revision, m_diffTo->revision,
                           diffEtcdStates(m_diffFrom->kvs, m_diffTo->kvs));
            Q_EMIT diffShown(m_diffFrom->revision, m_diffTo->revision);
            m_diffFrom.reset();
            m_diffTo.reset();
        }
        return;
    }
}

} // namespace regscope
