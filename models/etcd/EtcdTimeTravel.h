#pragma once
// Time travel over an etcd prefix: the registry as it was at revision R, and the diff of two
// revisions. It asks the attached source through the ControlBroker and gets the answers back
// from it; a source without revisions is told at once ("failed"), so nothing spins.

#include "models/etcd/EtcdKeysModel.h"
#include "models/etcd/EtcdRevisionDiffModel.h"

#include <QHash>
#include <QObject>

#include <optional>

namespace regscope {

class ControlBroker;

class EtcdTimeTravel : public QObject {
    Q_OBJECT
public:
    explicit EtcdTimeTravel(ControlBroker* broker, QObject* parent = nullptr);
    // Whether the attached source has revisions at all.
    bool available() const;

    EtcdKeysModel* stateModel() { return &m_state; }
    EtcdRevisionDiffModel* diffModel() { return &m_diff; }
    qint64 compactFloor() const { return m_floor; }
    qint64 currentRevision() const { return m_current; }
    qint64 shownRevision() const { return m_shown; }

public Q_SLOTS:
    void viewAt(qint64 revision);                      // fills stateModel()
    void diff(qint64 fromRevision, qint64 toRevision); // fills diffModel()
    void refreshBounds();                              // asks for the latest revision and the floor
    void onRevisionState(const regscope::RevisionState& state);

Q_SIGNALS:
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
    void noteBounds(const RevisionState& state);

    ControlBroker* m_broker;
    EtcdKeysModel m_state;
    EtcdRevisionDiffModel m_diff;
    QHash<quint64, Pending> m_pending; // bounded: at most a few user actions in flight
    quint64 m_nextId = 1;
    quint64 m_diffId = 0;
    std::optional<RevisionState> m_diffFrom;
    std::optional<RevisionState> m_diffTo;
    qint64 m_floor = 0;
    qint64 m_current = 0;
    qint64 m_shown = 0;
};

} // namespace regscope
