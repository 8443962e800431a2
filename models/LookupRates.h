#pragma once
// What the Metrics panel plots, derived from two consecutive samples: lookups per second by
// outcome (counter deltas over the elapsed time; a counter that went down means the source
// restarted, and its new value is the delta), latency quantiles and the entry count.

#include "models/SourceEvent.h"

#include <optional>

namespace regscope {

struct LookupRates {
    qint64 timestampMs = 0;
    double hitsPerSecond = 0;
    double missesPerSecond = 0;
    double errorsPerSecond = 0;
    double p50Ms = 0;
    double p99Ms = 0;
    bool hasLatency = false; // false: no lookup was timed in this interval
    double entries = 0;
    double missRatio() const {
        const double total = hitsPerSecond + missesPerSecond + errorsPerSecond;
        return total > 0 ? missesPerSecond / total : 0;
    }
};

// `previous` empty: the first sample (rates 0, gauges as read).
LookupRates deriveRates(const MetricsSample* previous, const MetricsSample& current);

// A counter's increase between two readings, tolerant of resets.
double counterDelta(double previous, double current);

} // namespace regscope
