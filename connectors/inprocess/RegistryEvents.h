#pragma once
// Translation of the registry library's types into the app's typed events.

#include "models/SourceEvent.h"
#include "models/registry/Metrics.h"
#include "models/registry/Observer.h"
#include "models/registry/RegistryCore.h"

namespace regscope {

EntryRecord toEntryRecord(const registry::SnapshotEntry& entry);
SnapshotEvent toSnapshotEvent(const std::vector<registry::SnapshotEntry>& entries, qint64 revision);
// The store events for one change (an upsert or removal and/or a timeline line). A Reloaded
// change yields only its timeline line: the caller resyncs from a snapshot.
void appendEvents(const registry::ChangeEvent& change, EventBatch* out);
// Points named as in models/MetricNames.h. With `previous` (the histogram of the last
// sample), latency quantiles are those of the lookups timed since then — what the chart
// plots over time — instead of since the registry started; an interval with no timed lookup
// gives no latency point.
MetricsSample toMetricsSample(const registry::MetricsSnapshot& metrics, qint64 timestampMs,
                              const registry::LatencyHistogram* previous = nullptr);

} // namespace regscope
