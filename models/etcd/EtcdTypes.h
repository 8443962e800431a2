#pragma once
// Plain values about an etcd cluster that travel from the etcd connector to the etcd item
// models (leases, members, time-travel results). Header-only so the connector needs no model
// library; neither side sees gRPC.

#include "models/SourceEvent.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <vector>

namespace regscope {

// One lease as LeaseTimeToLive reported it at fetchedAtMs (steady clock, ms).
struct EtcdLeaseInfo {
    qint64 id = 0;
    qint64 ttl = 0;        // seconds remaining when fetched; -1: the lease is gone
    qint64 grantedTtl = 0; // seconds it was granted with
    QList<QByteArray> keys;
    qint64 fetchedAtMs = 0; // QDateTime::currentMSecsSinceEpoch() when the reply came

    friend bool operator==(const EtcdLeaseInfo&, const EtcdLeaseInfo&) = default;
};

struct EtcdMemberStatus {
    quint64 id = 0;
    QString name;
    QStringList clientUrls;
    QStringList peerUrls;
    bool isLearner = false;
    // From Maintenance.Status on that member; reachable == false leaves them at zero.
    bool reachable = false;
    QString error; // why it is unreachable / its status errors
    QString version;
    qint64 dbSize = 0;
    qint64 dbSizeInUse = 0;
    quint64 leader = 0;
    quint64 raftIndex = 0;
    quint64 raftAppliedIndex = 0;
    quint64 raftTerm = 0;

    friend bool operator==(const EtcdMemberStatus&, const EtcdMemberStatus&) = default;
};

struct EtcdClusterInfo {
    quint64 clusterId = 0;
    quint64 leaderId = 0;
    QString endpointInUse; // host:port the connector watches through
    std::vector<EtcdMemberStatus> members;
    qint64 timestampMs = 0;
};

// The registry as it was at one revision (time travel), or why it could not be read.
struct EtcdRevisionState {
    quint64 requestId = 0;
    qint64 revision = 0;        // the revision asked for (0: latest)
    qint64 headerRevision = 0;  // the store revision when read
    qint64 compactFloor = 0;    // oldest readable revision known when read
    std::vector<KeyRecord> kvs; // sorted by key
    bool ok = false;
    QString error;
};

} // namespace regscope

Q_DECLARE_METATYPE(regscope::EtcdLeaseInfo)
Q_DECLARE_METATYPE(regscope::EtcdClusterInfo)
Q_DECLARE_METATYPE(regscope::EtcdRevisionState)
