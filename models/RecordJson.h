#pragma once
// Records, samples and health as JSON: for "copy as JSON" and `regscope --dump json`.

#include "models/SourceEvent.h"

#include <QJsonObject>

namespace regscope {

QJsonObject toJson(const EntryRecord& r);
QJsonObject toJson(const InstanceRecord& r);
QJsonObject toJson(const KeyRecord& r);
QJsonObject toJson(const Record& r);
// {"timestamp_ms":..., "points":[{"name":..., "labels":{...}, "value":...}]}
QJsonObject toJson(const MetricsSample& s);
QJsonObject toJson(const SourceHealth& h);
QJsonObject toJson(const TimelineEvent& e);

} // namespace regscope
