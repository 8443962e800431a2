#pragma once
// The typed events every connector emits and the store applies (ARCHITECTURE.md, data path).
// Plain values: cheap to move across threads inside a shared EventBatch.

#include "models/PluginVerdict.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>
#include <variant>
#include <vector>

namespace regscope {

enum class HealthState : quint8 { Connecting, Live, Degraded, Down };
QString toString(HealthState state);

// A registration in an in-process registry (or in a plugin's registry inside the loader).
struct EntryRecord {
    QString registry; // the registry's type name in an attached process; empty for the demo
    QString tenant;   // empty: the global layer
    QString name;
    QString version; // semver; empty for an alias row
    QString type;    // implementation kind (codec, driver, resolver...)
    QString description;
    QString aliasOf; // non-empty: this row is an alias forwarding to aliasOf
    QString deprecationMessage;
    QString removeAfter;
    QString origin; // where it came from: "demo", a plugin path...
    qint64 registeredAtMs = 0;
    bool deprecated = false;

    friend bool operator==(const EntryRecord&, const EntryRecord&) = default;
};

// Whether an instance's renew is overdue, as judged from what the server said (its renew
// timestamp against the server's own clock at the time of the answer), never from the age of
// our copy. Unknown: no renews to judge (etcd), or not judged.
enum class Staleness : quint8 { Unknown, Fresh, Stale };

// A service instance: from a discovery server, or from etcd through a service layout.
struct InstanceRecord {
    QString appid;
    QString zone;
    QString env;
    QString region;
    QString hostname;
    QStringList addrs;
    QString version;
    QMap<QString, QString> metadata;
    int status = 1; // 1 UP, 2 WAITING
    qint64 regTimestampNs = 0;
    qint64 upTimestampNs = 0;
    qint64 renewTimestampNs = 0;
    qint64 dirtyTimestampNs = 0;
    qint64 latestTimestampNs = 0;
    QString source;     // "discovery" or "etcd"
    qint64 leaseId = 0; // etcd: the lease that keeps the key (0: none)
    // The connector's judgement when the server answered: the server's now minus the last
    // renew (-1: no renews), our wall clock at that answer, and the stale verdict from them.
    qint64 renewAgeMs = -1;
    qint64 observedAtMs = 0;
    Staleness staleness = Staleness::Unknown;

    friend bool operator==(const InstanceRecord&, const InstanceRecord&) = default;
};

// A key in etcd.
struct KeyRecord {
    QByteArray key;
    QByteArray value;
    qint64 createRevision = 0;
    qint64 modRevision = 0;
    qint64 version = 0;
    qint64 lease = 0;

    friend bool operator==(const KeyRecord&, const KeyRecord&) = default;
};

using Record = std::variant<EntryRecord, InstanceRecord, KeyRecord>;

enum class RecordKind : quint8 { Entry, Instance, Key };
RecordKind kindOf(const Record& record);

// Stable identity of a record within its kind: [registry#]tenant/name@version (the registry
// only when non-empty), appid/zone/env/hostname, key.
QString recordId(const EntryRecord& r);
QString recordId(const InstanceRecord& r);
QString recordId(const KeyRecord& r);
QString recordId(const Record& r);

// Full state of one kind at a revision (or timestamp): records not in it are gone.
struct SnapshotEvent {
    RecordKind kind = RecordKind::Entry;
    std::vector<Record> records;
    qint64 revision = 0;
};

struct UpsertEvent {
    Record record;
    qint64 revision = 0;
};

struct RemoveEvent {
    RecordKind kind = RecordKind::Entry;
    QString id;
    qint64 revision = 0;
};

// One scrape of a source's counters and gauges, Prometheus style:
// name "lookup_total", labels {"outcome":"hit"}; value is cumulative for counters.
struct MetricPoint {
    QString name;
    QMap<QString, QString> labels;
    double value = 0;
};
struct MetricsSample {
    qint64 timestampMs = 0;
    std::vector<MetricPoint> points;
};

struct SourceHealth {
    HealthState state = HealthState::Connecting;
    QString reason; // human words: why it is in this state
};

// Something worth a line on the timeline: a registration, an eviction, a resync, a reload.
struct TimelineEvent {
    qint64 timestampMs = 0;
    QString category; // register, deregister, rejected, reload, evict, resync, plugin...
    QString subject;  // the name/key/instance it is about
    QString text;
};

// A lease (etcd) as LeaseTimeToLive reported it at fetchedAtMs (steady clock, ms).
struct LeaseInfo {
    qint64 id = 0;
    qint64 ttl = 0;        // seconds remaining when fetched; -1: the lease is gone
    qint64 grantedTtl = 0; // seconds it was granted with
    QList<QByteArray> keys;
    qint64 fetchedAtMs = 0; // QDateTime::currentMSecsSinceEpoch() when the reply came

    friend bool operator==(const LeaseInfo&, const LeaseInfo&) = default;
};

struct ClusterMember {
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

    friend bool operator==(const ClusterMember&, const ClusterMember&) = default;
};

// One poll of a cluster: its members and their status.
struct ClusterSample {
    quint64 clusterId = 0;
    quint64 leaderId = 0;
    QString endpointInUse; // host:port the connector watches through
    std::vector<ClusterMember> members;
    qint64 timestampMs = 0;
};

// A source as it was at one revision (time travel): the answer to a SourceControls request,
// not a store event.
struct RevisionState {
    quint64 requestId = 0;
    qint64 revision = 0;        // the revision asked for (0: latest)
    qint64 headerRevision = 0;  // the store revision when read
    qint64 compactFloor = 0;    // oldest readable revision known when read
    std::vector<KeyRecord> kvs; // sorted by key
    bool ok = false;
    QString error;
};

// A batch of lease TTLs as fetched; ttl -1: the lease is gone.
struct LeasesEvent {
    std::vector<LeaseInfo> leases;
};

// Progress of a long first load (a paged snapshot): done of total (total 0: not known).
// finished: the load ended (done, failed or canceled); cancellable: SourceControls can stop it.
struct ProgressEvent {
    QString what; // "keys", "instances"...
    qint64 done = 0;
    qint64 total = 0;
    bool finished = false;
    bool cancellable = false;

    friend bool operator==(const ProgressEvent&, const ProgressEvent&) = default;
};

// A plugin of the Plugins panel as PluginSupervisor knows it now: the whole row, so the
// store keeps the latest per path and PluginModel replaces its row (models/plugins).
struct PluginEvent {
    QString path;
    bool removed = false;
    PluginState state = PluginState::Verifying;
    loader::Stage stage = loader::Stage::Spawn;   // in progress, or where it ended
    std::shared_ptr<const PluginVerdict> verdict; // the latest finished (or ready) one
    std::shared_ptr<const InvokeResult> lastInvoke;
    int crashes = 0;            // in the crash-loop window
    bool crashLoop = false;     // automatic retries stopped
    bool deterministic = false; // the same crash twice: not retried
    QString note;
    PluginCallStats calls;
    // A reload waiting for the user's accept (null: none). Shared: rows copy it cheaply.
    std::shared_ptr<const ReloadCandidate> candidate;
    int recordedPayloads = 0; // recent invokes kept for a shadow replay
};

// What probing one registered address of an instance found (opt-in, connectors/probe):
// up (answered well), refused (no connection: refused, unroutable, a bad address),
// timeout (nothing within the probe timeout) or unhealthy (answered, badly). The Store
// keeps the latest per instance and address while the instance is there.
enum class ProbeState : quint8 { Up, Refused, Timeout, Unhealthy };
QString toString(ProbeState state); // "up", "refused", "timeout", "unhealthy"

struct ProbeEvent {
    QString instanceId; // recordId(InstanceRecord)
    QString addr;       // as registered: scheme://host:port
    ProbeState state = ProbeState::Refused;
    double latencyMs = 0; // from the start of the probe to its verdict
    qint64 atMs = 0;      // wall clock when the probe started
    QString detail;       // "HTTP 200 OK", "SERVING", the error...

    friend bool operator==(const ProbeEvent&, const ProbeEvent&) = default;
};

using SourceEvent =
    std::variant<SnapshotEvent, UpsertEvent, RemoveEvent, MetricsSample, SourceHealth,
                 TimelineEvent, LeasesEvent, ClusterSample, ProgressEvent, PluginEvent, ProbeEvent>;
using EventBatch = std::vector<SourceEvent>;
// Shared read-only while several hold it. Make it non-const (std::make_shared<EventBatch>):
// the Store moves the records out of a batch once it is the only holder left.
using EventBatchPtr = std::shared_ptr<const EventBatch>;

} // namespace regscope

Q_DECLARE_METATYPE(regscope::EventBatchPtr)
Q_DECLARE_METATYPE(regscope::LeaseInfo)
Q_DECLARE_METATYPE(regscope::ClusterSample)
Q_DECLARE_METATYPE(regscope::RevisionState)
Q_DECLARE_METATYPE(regscope::ProgressEvent)
