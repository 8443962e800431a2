#pragma once
// Time travel over an etcd prefix: the registry as it was at revision R, and the diff of two
// revisions. It asks for states with revisionStateRequested (the app connects that to
// EtcdConnector::requestRevisionState) and gets them back in onRevisionState (connected from
// EtcdConnector::revisionStateReady). It never talks to a connector itself.

#include "models/etcd/EtcdKeysModel.h"
#include "models/etcd/EtcdRevisionDiffModel.h"

#include <QObject>

namespace regscope {

class EtcdTimeTravel : public QObject {
    Q_OBJECT
public:
    explicit EtcdTimeTravel(QObject* parent = nullptr);

    EtcdKeysModel* stateModel() { return &m_state; }
    EtcdRevisionDiffModel* diffModel() { return &m_diff; }
    qint64 compactFloor() const { return m_floor; }
    qint64 currentRevision() const { return m_current; }
    qint64 shownRevision() const { return m_shown; }

public Q_SLOTS:
    void viewAt(qint64 revision);                      // fills stateModel()
    void diff(qint64 fromRevision, qint64 toRevision); // fills diffModel()
    void refreshBounds();                              // asks for the latest revision and the floor
    void onRevisionState(const regscope::EtcdRevisionState& state);

Q_SIGNALS:
    void revisionStateRequested(quint64 requestId, qint64 revision);
    void boundsChanged(qint64 compactFloor, qint64 currentRevision);
    void stateShown(qint64 revision);
    void diffShown(qint64 fromRevision, qint64 toRevision);
    void failed(const QString& reason);

private:
    enum class Purpose { View, DiffFrom, DiffTo, Bounds };
    struct Pending {
        Purpose purpose = Purpose::View;
        qint64 revision = 0;
        quint64 diffId = 0;
    };
    quint64 ask(Purpose purpose, qint64 revision, quint64 diffId = 0);
    void noteBounds(const EtcdRevisionState& state);

    EtcdKeysModel m_state;
    EtcdRevisionDiffModel m_diff;
    QHash<quint64, Pending> m_pending; // bounded: at most a few user actions in flight
    quint64 m_nextId = 1;
    quint64 m_diffId = 0;
    std::optional<EtcdRevisionState> m_diffFrom;
    std::optional<EtcdRevisionState> m_diffTo;
    qint64 m_floor = 0;
    qint64 m_current = 0;
    qint64 m_shown = 0;
};

} // namespace regscope
