#pragma once
// `regscope --dump json`: the attached source's records, health and latest metrics.

#include <QJsonObject>

namespace regscope {

class Store;

// {"source", "health", "counts", "entries", "instances", "keys", "metrics", "timeline"};
// records sorted by id so two dumps of the same state compare equal.
QJsonObject dumpJson(const Store& store, const QString& url);

} // namespace regscope
