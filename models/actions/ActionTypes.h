#pragma once
// What a user asks a source to do (ActionRequest) and what the source answered (ActionResult):
// plain values that cross threads, go to the action log as JSON and to the Timeline as words.

#include "models/SourceEvent.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace regscope {

enum class ActionKind : quint8 {
    // etcd writes
    EtcdPut,            // create (expectedModRevision 0) or edit a key, compared on mod_revision
    EtcdDelete,         // one key, compared on mod_revision
    EtcdDeletePrefix,   // every key under a prefix, refused if one changed after seenRevision
    EtcdLeaseRevoke,    // the lease and every key bound to it
    EtcdLeaseKeepAlive, // one keep-alive: the lease's TTL starts again
    // etcd reads (allowed in read-only mode: they change nothing)
    EtcdLeaseList, // every lease with its TTL and keys
    EtcdLeaseKeys, // one lease's TTL and keys
    EtcdKeyHistory,
    // discovery writes
    DiscoveryCancel,   // one or several instances, one request each
    DiscoverySet,      // status and/or metadata of instances of ONE app, all or nothing
    DiscoveryRegister, // a test instance
};

QString toString(ActionKind kind);
std::optional<ActionKind> actionKindFromString(const QString& text);
// Changes the source's state: needs the source's write toggle on.
bool isWrite(ActionKind kind);
// A discovery action (else an etcd one).
bool isDiscovery(ActionKind kind);
// Takes something away (keys, a lease, instances): needs the count typed when it is > 1.
bool isDestructive(ActionKind kind);

struct InstanceRef {
    QString zone;
    QString env;
    QString appid;
    QString hostname;
    friend bool operator==(const InstanceRef&, const InstanceRef&) = default;
};

struct ActionRequest {
    ActionKind kind = ActionKind::EtcdPut;
    QString source; // the source's URL, as the Session names it

    // etcd
    QByteArray key; // the key, the prefix (DeletePrefix)
    QByteArray value;
    qint64 expectedModRevision = 0; // Put/Delete: the mod_revision the user saw (0: absent)
    qint64 seenRevision = 0;        // DeletePrefix: no key under the prefix changed after it
    qint64 expectedCount = 0;       // DeletePrefix, LeaseRevoke: keys the confirmation showed
    qint64 lease = 0;               // Put: the lease to attach; Lease*: the lease
    int historyLimit = 1000;        // KeyHistory: at most this many revisions

    // discovery
    QList<InstanceRef> instances;    // Cancel, Set; Register: exactly one
    int status = 0;                  // Set/Register: 1 UP, 2 WAITING; Set 0: unchanged
    QMap<QString, QString> metadata; // Set: merged into each instance; Register: its metadata
    QStringList addrs;               // Register
    QString version;                 // Register
    QString region;                  // Register

    // How many items it touches (keys of a prefix, instances), for the typed confirmation.
    qint64 itemCount() const;
    QJsonObject toJson() const;
    // One line for the Timeline and the dialog's title ("delete /svc/a/ (3 keys)").
    QString summary() const;
    // What will happen, item by item, in words (the confirmation dialog's body).
    QStringList details() const;
};

struct ActionResult {
    enum class Code : quint8 {
        Ok,
        ReadOnly,       // refused: the source is read-only (toggle, --read-only, in-process)
        Conflict,       // refused by the server: the key changed since the user saw it
        NotFound,       // the key, lease or instance is not there
        InvalidRequest, // refused before sending (bad value, mixed apps in a set)
        Canceled,       // the user canceled it while in flight
        Unavailable,    // the server could not be reached or did not answer in time
        ServerError,    // any other answer of the server (message holds it)
        Unsupported,    // the source cannot do this kind of action
    };
    Code code = Code::Ok;
    QString message; // the server's answer in its own words (failures), or what was done

    qint64 revision = 0; // etcd: the revision the write made (or the header revision)
    qint64 count = 0;    // keys deleted, instances canceled/set

    // Conflict: the key as it is now (exists false: deleted meanwhile).
    bool currentExists = false;
    KeyRecord current;

    std::vector<KeyRecord> history; // KeyHistory: newest first
    bool historyTruncated = false;  // KeyHistory: older revisions are compacted
    QList<LeaseInfo> leases;    // LeaseList / LeaseKeys / KeepAlive (its new TTL)

    bool ok() const { return code == Code::Ok; }
    QJsonObject toJson() const;
    static ActionResult failure(Code code, QString message);
};

// "ok", "read-only", "conflict"... (the log's and the Timeline's word for it)
QString codeText(ActionResult::Code code);

using ActionId = quint64;

} // namespace regscope

Q_DECLARE_METATYPE(regscope::ActionRequest)
Q_DECLARE_METATYPE(regscope::ActionResult)
