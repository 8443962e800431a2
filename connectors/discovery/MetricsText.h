#pragma once
// regscope-discoveryd's /metrics (Prometheus text) as a MetricsSample.

#include "models/SourceEvent.h"

#include <QByteArray>

#include <vector>

namespace regscope::discoveryconn {

// Every sample line; comments and malformed lines are skipped.
std::vector<MetricPoint> parseMetricsText(const QByteArray& text);

} // namespace regscope::discoveryconn
