#pragma once
// Reads the Prometheus text exposition format (discoveryd's and etcd's /metrics).

#include "models/SourceEvent.h"

#include <QByteArray>
#include <QSet>

#include <vector>

namespace regscope {

// Samples whose metric name is in `wanted` (all when empty). Label values may carry the
// format's escapes (\" \\ \n); comments, malformed lines and an optional timestamp are skipped.
std::vector<MetricPoint> parsePrometheusText(const QByteArray& text,
                                             const QSet<QString>& wanted = {});

} // namespace regscope
