#pragma once
// The metric names the app's models read from MetricsSample points. They follow the
// registry library's Prometheus exposition (models/registry/Metrics.h), so a sample scraped
// from an out-of-process registry's /metrics reads the same as one taken in-process.

#include "models/SourceEvent.h"

#include <QStringView>

#include <functional>

namespace regscope::metric {

using namespace Qt::StringLiterals;

inline constexpr QStringView kEntries = u"regscope_registry_entries";
inline constexpr QStringView kAliases = u"regscope_registry_aliases";
inline constexpr QStringView kGeneration = u"regscope_registry_generation";
// Counter, label outcome = hit | miss | error.
inline constexpr QStringView kLookupTotal = u"regscope_registry_lookup_total";
// Gauge (seconds), label quantile = 0.5 | 0.99.
inline constexpr QStringView kLookupLatency = u"regscope_registry_lookup_latency_seconds";
// Counters, label name.
inline constexpr QStringView kHitsByName = u"regscope_registry_lookup_hits_by_name_total";
inline constexpr QStringView kMissesByName = u"regscope_registry_lookup_misses_by_name_total";
inline constexpr QStringView kDeprecatedLookups = u"regscope_registry_deprecated_lookup_total";
// Counter, label outcome = ok | <error code>.
inline constexpr QStringView kRegisterTotal = u"regscope_registry_register_total";

inline constexpr QStringView kOutcome = u"outcome";
inline constexpr QStringView kName = u"name";
inline constexpr QStringView kQuantile = u"quantile";

// The value of the first point named `name` whose label `key` equals `value` (any labels when
// key is empty); `fallback` if there is none.
double value(const MetricsSample& sample, QStringView name, QStringView key = {},
             QStringView labelValue = {}, double fallback = 0);
bool has(const MetricsSample& sample, QStringView name);
// Calls fn(labelValue, value) for every point named `name`, with the label `key`'s value.
void forEachLabelled(const MetricsSample& sample, QStringView name, QStringView key,
                     const std::function<void(const QString&, double)>& fn);

} // namespace regscope::metric
