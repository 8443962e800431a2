#include "models/RecordJson.h"

#include "models/ByteText.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace regscope {

QJsonObject toJson(const EntryRecord& r) {
    QJsonObject o{{u"id"_s, recordId(r)},
                  {u"tenant"_s, r.tenant},
                  {u"name"_s, r.name},
                  {u"type"_s, r.type},
                  {u"origin"_s, r.origin},
                  {u"deprecated"_s, r.deprecated},
                  {u"registered_at_ms"_s, r.registeredAtMs}};
    if (!r.registry.isEmpty())
        o.insert(u"registry"_s, r.registry);
    if (!r.version.isEmpty())
        o.insert(u"version"_s, r.version);
    if (!r.description.isEmpty())
        o.insert(u"description"_s, r.description);
    if (!r.aliasOf.isEmpty())
        o.insert(u"alias_of"_s, r.aliasOf);
    if (!r.deprecationMessage.isEmpty())
        o.insert(u"deprecation_message"_s, r.deprecationMessage);
    if (!r.removeAfter.isEmpty())
        o.insert(u"remove_after"_s, r.removeAfter);
    return o;
}

QJsonObject toJson(const InstanceRecord& r) {
    QJsonObject metadata;
    for (auto it = r.metadata.cbegin(); it != r.metadata.cend(); ++it)
        metadata.insert(it.key(), it.value());
    // The connector's verdict, from the server's clock when it answered: null when nobody
    // could judge (no renews, as for etcd keys).
    const QJsonValue stale = r.staleness == Staleness::Unknown
                                 ? QJsonValue(QJsonValue::Null)
                                 : QJsonValue(r.staleness == Staleness::Stale);
    QJsonObject o{{u"id"_s, recordId(r)},
                  {u"appid"_s, r.appid},
                  {u"zone"_s, r.zone},
                  {u"env"_s, r.env},
                  {u"region"_s, r.region},
                  {u"hostname"_s, r.hostname},
                  {u"addrs"_s, QJsonArray::fromStringList(r.addrs)},
                  {u"version"_s, r.version},
                  {u"metadata"_s, metadata},
                  {u"status"_s, r.status},
                  {u"reg_timestamp"_s, r.regTimestampNs},
                  {u"up_timestamp"_s, r.upTimestampNs},
                  {u"renew_timestamp"_s, r.renewTimestampNs},
                  {u"dirty_timestamp"_s, r.dirtyTimestampNs},
                  {u"latest_timestamp"_s, r.latestTimestampNs},
                  {u"source"_s, r.source},
                  {u"stale"_s, stale},
                  {u"renew_age_ms"_s,
                   r.renewAgeMs >= 0 ? QJsonValue(r.renewAgeMs) : QJsonValue(QJsonValue::Null)}};
    if (r.observedAtMs > 0)
        o.insert(u"observed_at_ms"_s, r.observedAtMs);
    if (r.leaseId != 0)
        o.insert(u"lease"_s, r.leaseId);
    return o;
}

// Keys and values are bytes: "key" is the lossless escaped text (\xNN for bytes that are not
// UTF-8), and when the bytes are not valid UTF-8 (or start with a byte order mark) "key_b64" /
// "value_b64" carry them exactly.
QJsonObject toJson(const KeyRecord& r) {
    QJsonObject o{{u"key"_s, escapeBytes(r.key)},
                  {u"value"_s, utf8Text(r.value)},
                  {u"create_revision"_s, r.createRevision},
                  {u"mod_revision"_s, r.modRevision},
                  {u"version"_s, r.version},
                  {u"lease"_s, r.lease}};
    // A JSON reader (Qt's among them) drops a byte order mark that starts a string: those
    // bytes need their base64 too.
    const auto textLoses = [](const QByteArray& b) {
        return !isValidUtf8(b) || b.startsWith("\xef\xbb\xbf");
    };
    if (textLoses(r.key))
        o.insert(u"key_b64"_s, QString::fromLatin1(r.key.toBase64()));
    if (textLoses(r.value))
        o.insert(u"value_b64"_s, QString::fromLatin1(r.value.toBase64()));
    return o;
}

QJsonObject toJson(const Record& r) {
    return std::visit([](const auto& v) { return toJson(v); }, r);
}

QJsonObject toJson(const MetricsSample& s) {
    QJsonArray points;
    for (const MetricPoint& p : s.points) {
        QJsonObject labels;
        for (auto it = p.labels.cbegin(); it != p.labels.cend(); ++it)
            labels.insert(it.key(), it.value());
        QJsonObject o{{u"name"_s, p.name}, {u"value"_s, p.value}};
        if (!labels.isEmpty())
            o.insert(u"labels"_s, labels);
        points.append(o);
    }
    return QJsonObject{{u"timestamp_ms"_s, s.timestampMs}, {u"points"_s, points}};
}

QJsonObject toJson(const SourceHealth& h) {
    return QJsonObject{{u"state"_s, toString(h.state)}, {u"reason"_s, h.reason}};
}

QJsonObject toJson(const TimelineEvent& e) {
    return QJsonObject{{u"timestamp_ms"_s, e.timestampMs},
                       {u"category"_s, e.category},
                       {u"subject"_s, e.subject},
                       {u"text"_s, e.text}};
}

} // namespace regscope
