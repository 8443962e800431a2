#pragma once
// The typed events every connector emits and the store applies (ARCHITECTURE.md, data path).
// Plain values: cheap to move across threads inside a shared EventBatch.

#include <QByteArray>
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
    QString source; // "discovery" or "etcd"

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

using SourceEvent = std::variant<SnapshotEvent, UpsertEvent, RemoveEvent, MetricsSample,
                                 SourceHealth, TimelineEvent>;
using EventBatch = std::vector<SourceEvent>;
using EventBatchPtr = std::shared_ptr<const EventBatch>;

} // namespace regscope

Q_DECLARE_METATYPE(regscope::EventBatchPtr)
