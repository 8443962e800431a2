#pragma once
// Reading the discovery wire (PROTOCOLS.md §1) into regscope's records, strictly: anything
// that is not the expected shape is an error value with a reason, never a crash.

#include "models/SourceEvent.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QMap>
#include <QString>

#include <expected>
#include <vector>

namespace regscope::discoveryconn {

struct Envelope {
    int code = 0;
    QString message;
    QJsonValue data;
};

// Parses {"code","message","ttl","data"}; fails on non-JSON or a missing integer code.
std::expected<Envelope, QString> parseEnvelope(const QByteArray& body);

std::expected<InstanceRecord, QString> parseInstance(const QJsonObject& o);

// /discovery/fetch/all data: {appid: [Instance]}.
std::expected<std::vector<InstanceRecord>, QString> parseFetchAll(const QJsonValue& data);

// InstanceInfo: {"instances":{zone:[Instance]},"latest_timestamp":n}.
struct AppInfo {
    std::vector<InstanceRecord> instances;
    qint64 latestTimestamp = 0;
};
std::expected<AppInfo, QString> parseInstanceInfo(const QJsonValue& data);
// fetchs / polls data: {appid: InstanceInfo}.
std::expected<QMap<QString, AppInfo>, QString> parseAppInfos(const QJsonValue& data);

} // namespace regscope::discoveryconn
