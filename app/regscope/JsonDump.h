#pragma once
// `regscope --dump json`: the attached source as a snapshot (docs/snapshot-schema.md).

#include <QJsonObject>

namespace regscope {

class Store;

// {"schema", "schema_version", "taken_at", "source", "health", "counts", "entries",
// "instances", "keys", "metrics" (the latest sample), "metric_history", "timeline",
// "plugins"}; records sorted by id so two dumps of the same state compare equal. probes
// (--probe): each instance carries "probe": {"state": up|refused|timeout|unhealthy,
// "latency_ms", "at" (ISO-8601 UTC), "addr", "detail", "addrs": [per address]}, null when
// not probed in time.
QJsonObject dumpJson(const Store& store, const QString& url, bool probes = false);

} // namespace regscope
