#pragma once
// Reads the Prometheus text exposition format (what etcd serves on /metrics).

#include "models/SourceEvent.h"

#include <QByteArray>
#include <QSet>

#include <vector>

namespace regscope {

// Samples whose metric name is in `wanted` (all when empty); comments and malformed lines
// are skipped.
std::vector<MetricPoint> parsePrometheusText(const QByteArray& text, const QSet<QString>& wanted);

} // namespace regscope
