#include "connectors/discovery/DiscoveryJson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

using namespace Qt::StringLiterals;

namespace regscope::discoveryconn {

std::expected<Envelope, QString> parseEnvelope(const QByteArray& body) {
    QJsonParseError error{};
    const auto doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError)
        return std::unexpected(
            u"not JSON (%1 at byte %2)"_s.arg(error.errorString()).arg(error.offset));
    if (!doc.isObject())
        return std::unexpected(u"not a discovery envelope (JSON is not an object)"_s);
    const auto o = doc.object();
    const auto code = o.value(u"code"_s);
    if (!code.isDouble())
        return std::unexpected(u"not a discovery envelope (no integer \"code\")"_s);
    Envelope e;
    e.code = code.toInt();
    e.message = o.value(u"message"_s).toString();
    e.data = o.value(u"data"_s);
    return e;
}

std::expected<InstanceRecord, QString> parseInstance(const QJsonObject& o) {
    InstanceRecord r;
    r.appid = o.value(u"appid"_s).toString();
    r.hostname = o.value(u"hostname"_s).toString();
    if (r.appid.isEmpty() || r.hostname.isEmpty())
        return std::unexpected(u"instance without appid or hostname"_s);
    r.zone = o.value(u"zone"_s).toString();
    r.env = o.value(u"env"_s).toString();
    r.region = o.value(u"region"_s).toString();
    r.version = o.value(u"version"_s).toString();
    for (const auto& a : o.value(u"addrs"_s).toArray())
        r.addrs.append(a.toString());
    const auto md = o.value(u"metadata"_s).toObject();
    for (auto it = md.begin(); it != md.end(); ++it)
        r.metadata.insert(it.key(), it.value().toString());
    r.status = o.value(u"status"_s).toInt(1);
    r.regTimestampNs = o.value(u"reg_timestamp"_s).toInteger();
    r.upTimestampNs = o.value(u"up_timestamp"_s).toInteger();
    r.renewTimestampNs = o.value(u"renew_timestamp"_s).toInteger();
    r.dirtyTimestampNs = o.value(u"dirty_timestamp"_s).toInteger();
    r.latestTimestampNs = o.value(u"latest_timestamp"_s).toInteger();
    r.source = u"discovery"_s;
    return r;
}

std::expected<std::vector<InstanceRecord>, QString> parseFetchAll(const QJsonValue& data) {
    std::vector<InstanceRecord> out;
    if (data.isUndefined() || data.isNull())
        return out;
    if (!data.isObject())
        return std::unexpected(u"fetch/all data is not an object"_s);
    const auto apps = data.toObject();
    for (auto it = apps.begin(); it != apps.end(); ++it) {
        if (!it.value().isArray())
            return std::unexpected(u"fetch/all: instances of %1 are not a list"_s.arg(it.key()));
        for (const auto& v : it.value().toArray()) {
            if (!v.isObject())
                return std::unexpected(u"fetch/all: an instance is not an object"_s);
            auto r = parseInstance(v.toObject());
            if (!r)
                return std::unexpected(r.error());
            out.push_back(std::move(*r));
        }
    }
    return out;
}

std::expected<AppInfo, QString> parseInstanceInfo(const QJsonValue& data) {
    if (!data.isObject())
        return std::unexpected(u"instance info is not an object"_s);
    const auto o = data.toObject();
    AppInfo info;
    info.latestTimestamp = o.value(u"latest_timestamp"_s).toInteger();
    const auto zones = o.value(u"instances"_s).toObject();
    for (auto it = zones.begin(); it != zones.end(); ++it)
        for (const auto& v : it.value().toArray()) {
            auto r = parseInstance(v.toObject());
            if (!r)
                return std::unexpected(r.error());
            info.instances.push_back(std::move(*r));
        }
    return info;
}

std::expected<QMap<QString, AppInfo>, QString> parseAppInfos(const QJsonValue& data) {
    QMap<QString, AppInfo> out;
    if (data.isUndefined() || data.isNull())
        return out;
    if (!data.isObject())
        return std::unexpected(u"app map is not an object"_s);
    const auto o = data.toObject();
    for (auto it = o.begin(); it != o.end(); ++it) {
        auto info = parseInstanceInfo(it.value());
        if (!info)
            return std::unexpected(info.error());
        out.insert(it.key(), std::move(*info));
    }
    return out;
}

} // namespace regscope::discoveryconn
