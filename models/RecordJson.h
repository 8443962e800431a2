#pragma once
// Records, samples and health as JSON: for "copy as JSON", `regscope --dump json` and the
// snapshots (docs/snapshot-schema.md). Each toJson has its inverse (RecordJsonRead.cpp): a
// record written and read back is equal to the original, bytes included.

#include "models/SourceEvent.h"

#include <QJsonObject>

#include <expected>

namespace regscope {

QJsonObject toJson(const EntryRecord& r);
QJsonObject toJson(const InstanceRecord& r);
QJsonObject toJson(const KeyRecord& r);
QJsonObject toJson(const Record& r);
// {"timestamp_ms":..., "points":[{"name":..., "labels":{...}, "value":...}]}
QJsonObject toJson(const MetricsSample& s);
QJsonObject toJson(const SourceHealth& h);
QJsonObject toJson(const TimelineEvent& e);

// The inverses. Absent fields take their defaults (older writers may not have them); a field
// of the wrong type is an error naming it ("name: expected a string"). Never throws.
std::expected<EntryRecord, QString> entryFromJson(const QJsonObject& o);
std::expected<InstanceRecord, QString> instanceFromJson(const QJsonObject& o);
std::expected<KeyRecord, QString> keyFromJson(const QJsonObject& o);
std::expected<Record, QString> recordFromJson(RecordKind kind, const QJsonObject& o);
std::expected<MetricsSample, QString> metricsSampleFromJson(const QJsonObject& o);
std::expected<SourceHealth, QString> healthFromJson(const QJsonObject& o);
std::expected<TimelineEvent, QString> timelineEventFromJson(const QJsonObject& o);

} // namespace regscope
