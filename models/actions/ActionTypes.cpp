#include "models/actions/ActionTypes.h"

#include "models/etcd/EtcdIds.h"

#include <QJsonArray>

#include <array>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

struct KindName {
    ActionKind kind;
    QLatin1StringView name;
    bool write;
    bool destructive;
};

constexpr std::array kKinds{
    KindName{ActionKind::EtcdPut, "etcd.put"_L1, true, false},
    KindName{ActionKind::EtcdDelete, "etcd.delete"_L1, true, true},
    KindName{ActionKind::EtcdDeletePrefix, "etcd.delete-prefix"_L1, true, true},
    KindName{ActionKind::EtcdLeaseRevoke, "etcd.lease-revoke"_L1, true, true},
    KindName{ActionKind::EtcdLeaseKeepAlive, "etcd.lease-keepalive"_L1, true, false},
    KindName{ActionKind::EtcdLeaseList, "etcd.lease-list"_L1, false, false},
    KindName{ActionKind::EtcdLeaseKeys, "etcd.lease-keys"_L1, false, false},
    KindName{ActionKind::EtcdKeyHistory, "etcd.key-history"_L1, false, false},
    KindName{ActionKind::DiscoveryCancel, "discovery.cancel"_L1, true, true},
    KindName{ActionKind::DiscoverySet, "discovery.set"_L1, true, false},
    KindName{ActionKind::DiscoveryRegister, "discovery.register"_L1, true, false},
};

const KindName& entry(ActionKind kind) {
    for (const auto& k : kKinds)
        if (k.kind == kind)
            return k;
    return kKinds.front();
}

// Keys are bytes; the log keeps them readable when they are UTF-8 and exact when not.
void putBytes(QJsonObject& o, const QString& name, const QByteArray& bytes) {
    const QString text = QString::fromUtf8(bytes);
    if (text.toUtf8() == bytes)
        o.insert(name, text);
    else
        o.insert(name + u"_base64"_s, QString::fromLatin1(bytes.toBase64()));
}

QString bytesText(const QByteArray& bytes) {
    const QString text = QString::fromUtf8(bytes);
    return text.toUtf8() == bytes ? text : u"0x"_s + QString::fromLatin1(bytes.toHex());
}

QString instanceText(const InstanceRef& i) {
    return i.appid + u' ' + i.hostname + u" (zone "_s + i.zone + u", env "_s + i.env + u')';
}

QString leaseText(qint64 lease) {
    return etcdLeaseText(lease);
}

QJsonObject toJson(const KeyRecord& r) {
    QJsonObject o;
    putBytes(o, u"key"_s, r.key);
    putBytes(o, u"value"_s, r.value);
    o.insert(u"mod_revision"_s, r.modRevision);
    o.insert(u"create_revision"_s, r.createRevision);
    o.insert(u"version"_s, r.version);
    if (r.lease)
        o.insert(u"lease"_s, r.lease);
    return o;
}

} // namespace

QString toString(ActionKind kind) {
    return entry(kind).name;
}

std::optional<ActionKind> actionKindFromString(const QString& text) {
    for (const auto& k : kKinds)
        if (text == k.name)
            return k.kind;
    return std::nullopt;
}

bool isWrite(ActionKind kind) {
    return entry(kind).write;
}

bool isDiscovery(ActionKind kind) {
    return kind == ActionKind::DiscoveryCancel || kind == ActionKind::DiscoverySet ||
           kind == ActionKind::DiscoveryRegister;
}

bool isDestructive(ActionKind kind) {
    return entry(kind).destructive;
}

qint64 ActionRequest::itemCount() const {
    switch (kind) {
    case ActionKind::EtcdDeletePrefix:
        return expectedCount;
    case ActionKind::EtcdLeaseRevoke: // the keys that go with it
        return std::max<qint64>(1, expectedCount);
    case ActionKind::DiscoveryCancel:
    case ActionKind::DiscoverySet:
        return instances.size();
    default:
        return 1;
    }
}

QJsonObject ActionRequest::toJson() const {
    QJsonObject o;
    o.insert(u"kind"_s, toString(kind));
    o.insert(u"source"_s, source);
    if (!isDiscovery(kind)) {
        if (!key.isEmpty())
            putBytes(o, kind == ActionKind::EtcdDeletePrefix ? u"prefix"_s : u"key"_s, key);
        if (kind == ActionKind::EtcdPut) {
            putBytes(o, u"value"_s, value);
            o.insert(u"expected_mod_revision"_s, expectedModRevision);
        }
        if (kind == ActionKind::EtcdDelete)
            o.insert(u"expected_mod_revision"_s, expectedModRevision);
        if (kind == ActionKind::EtcdDeletePrefix) {
            o.insert(u"seen_revision"_s, seenRevision);
            o.insert(u"expected_count"_s, expectedCount);
        }
        if (lease)
            o.insert(u"lease"_s, lease);
        return o;
    }
    QJsonArray list;
    for (const auto& i : instances)
        list.append(QJsonObject{{u"zone"_s, i.zone},
                                {u"env"_s, i.env},
                                {u"appid"_s, i.appid},
                                {u"hostname"_s, i.hostname}});
    o.insert(u"instances"_s, list);
    if (status)
        o.insert(u"status"_s, status);
    if (!metadata.isEmpty()) {
        QJsonObject md;
        for (auto it = metadata.cbegin(); it != metadata.cend(); ++it)
            md.insert(it.key(), it.value());
        o.insert(u"metadata"_s, md);
    }
    if (kind == ActionKind::DiscoveryRegister) {
        o.insert(u"addrs"_s, QJsonArray::fromStringList(addrs));
        o.insert(u"version"_s, version);
        if (!region.isEmpty())
            o.insert(u"region"_s, region);
    }
    return o;
}

QString ActionRequest::summary() const {
    const QString k = bytesText(key);
    switch (kind) {
    case ActionKind::EtcdPut:
        return (expectedModRevision == 0 ? u"create "_s : u"edit "_s) + k;
    case ActionKind::EtcdDelete:
        return u"delete "_s + k;
    case ActionKind::EtcdDeletePrefix:
        return u"delete prefix "_s + k + u" ("_s + QString::number(expectedCount) + u" keys)"_s;
    case ActionKind::EtcdLeaseRevoke:
        return u"revoke lease "_s + leaseText(lease);
    case ActionKind::EtcdLeaseKeepAlive:
        return u"keep lease "_s + leaseText(lease) + u" alive once"_s;
    case ActionKind::EtcdLeaseList:
        return u"list leases"_s;
    case ActionKind::EtcdLeaseKeys:
        return u"keys of lease "_s + leaseText(lease);
    case ActionKind::EtcdKeyHistory:
        return u"history of "_s + k;
    case ActionKind::DiscoveryCancel:
        if (instances.size() == 1)
            return u"cancel "_s + instanceText(instances.front());
        return u"cancel "_s + QString::number(instances.size()) + u" instances"_s;
    case ActionKind::DiscoverySet:
        return u"set "_s + QString::number(instances.size()) + u" instance(s) of "_s +
               (instances.isEmpty() ? QString() : instances.front().appid);
    case ActionKind::DiscoveryRegister:
        return u"register test instance "_s +
               (instances.isEmpty() ? QString() : instanceText(instances.front()));
    }
    return QString();
}

QStringList ActionRequest::details() const {
    QStringList out;
    out << u"Source: "_s + source;
    switch (kind) {
    case ActionKind::EtcdPut:
        out << u"Key: "_s + bytesText(key)
            << (expectedModRevision == 0
                    ? u"Only if the key still does not exist."_s
                    : QString(u"Only if the key is still at mod_revision "_s +
                              QString::number(expectedModRevision) + u" (the revision you saw)."_s))
            << u"New value ("_s + QString::number(value.size()) + u" bytes):"_s
            << bytesText(value.left(4096));
        if (lease)
            out << u"Attached to lease "_s + leaseText(lease);
        break;
    case ActionKind::EtcdDelete:
        out << u"Delete key: "_s + bytesText(key)
            << u"Only if the key is still at mod_revision "_s +
                   QString::number(expectedModRevision) + u'.';
        break;
    case ActionKind::EtcdDeletePrefix:
        out << u"Delete every key under: "_s + bytesText(key)
            << QString::number(expectedCount) + u" keys as you see them now."_s
            << u"Refused if any key under it changed after revision "_s +
                   QString::number(seenRevision) + u'.';
        break;
    case ActionKind::EtcdLeaseRevoke:
        out << u"Revoke lease "_s + leaseText(lease) +
                   u": etcd deletes every key attached to it ("_s + QString::number(expectedCount) +
                   u" now)."_s;
        break;
    default:
        out << summary();
        break;
    }
    if (isDiscovery(kind)) {
        for (const auto& i : instances)
            out << u"Instance: "_s + instanceText(i);
        if (status)
            out << u"Status: "_s + (status == 1 ? u"UP"_s : u"WAITING"_s);
        for (auto it = metadata.cbegin(); it != metadata.cend(); ++it)
            out << u"Metadata: "_s + it.key() + u" = "_s + it.value();
        if (kind == ActionKind::DiscoverySet && instances.size() > 1)
            out << u"All or nothing: one /discovery/set request for every instance."_s;
        if (kind == ActionKind::DiscoveryCancel && instances.size() > 1)
            out << u"One /discovery/cancel request per instance, in order; stops at the "
                   u"first failure."_s;
        if (kind == ActionKind::DiscoveryRegister)
            out << u"Addresses: "_s + addrs.join(u", "_s)
                << u"Nobody renews it: the server evicts it after its lease (90 s by default)."_s;
    }
    return out;
}

QJsonObject ActionResult::toJson() const {
    QJsonObject o;
    o.insert(u"code"_s, codeText(code));
    if (!message.isEmpty())
        o.insert(u"message"_s, message);
    if (revision)
        o.insert(u"revision"_s, revision);
    if (count)
        o.insert(u"count"_s, count);
    if (code == Code::Conflict) {
        if (currentExists)
            o.insert(u"current"_s, regscope::toJson(current));
        else
            o.insert(u"current"_s, QJsonValue::Null);
    }
    if (!history.empty())
        o.insert(u"history_revisions"_s, static_cast<qint64>(history.size()));
    if (!leases.isEmpty())
        o.insert(u"leases"_s, leases.size());
    return o;
}

ActionResult ActionResult::failure(Code code, QString message) {
    ActionResult r;
    r.code = code;
    r.message = std::move(message);
    return r;
}

QString codeText(ActionResult::Code code) {
    switch (code) {
    case ActionResult::Code::Ok:
        return u"ok"_s;
    case ActionResult::Code::ReadOnly:
        return u"read-only"_s;
    case ActionResult::Code::Conflict:
        return u"conflict"_s;
    case ActionResult::Code::NotFound:
        return u"not-found"_s;
    case ActionResult::Code::InvalidRequest:
        return u"invalid-request"_s;
    case ActionResult::Code::Canceled:
        return u"canceled"_s;
    case ActionResult::Code::Unavailable:
        return u"unavailable"_s;
    case ActionResult::Code::ServerError:
        return u"server-error"_s;
    case ActionResult::Code::Unsupported:
        return u"unsupported"_s;
    }
    return u"?"_s;
}

} // namespace regscope
