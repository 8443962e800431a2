#pragma once
// `regscope --dump json`: the attached source's records, health and latest metrics.

#include <QJsonObject>

namespace regscope {

class Store;

// {"source", "health", "counts", "entries", "instances", "keys", "metrics", "timeline"};
// records sorted by id so two dumps of the same state compare equal. probes (--probe): each
// instance carries "probe": {"state": up|refused|timeout|unhealthy, "latency_ms", "at"
// (ISO-8601 UTC), "addr", "detail", "addrs": [per address]}, null when not probed in time.
QJsonObject dumpJson(const Store& store, const QString& url, bool probes = false);

} // namespace regscope
