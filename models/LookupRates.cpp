#include "models/LookupRates.h"

#include "models/MetricNames.h"

#include <cmath>
#include <limits>

namespace regscope {

double counterDelta(double previous, double current) {
    return current >= previous ? current - previous : current;
}

LookupRates deriveRates(const MetricsSample* previous, const MetricsSample& current) {
    LookupRates r;
    r.timestampMs = current.timestampMs;
    r.entries = metric::value(current, metric::kEntries);
    // A sample without quantiles (no lookup timed in its interval) has no latency to plot.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double p50 =
        metric::value(current, metric::kLookupLatency, metric::kQuantile, u"0.5", nan);
    const double p99 =
        metric::value(current, metric::kLookupLatency, metric::kQuantile, u"0.99", nan);
    r.hasLatency = !std::isnan(p50) && !std::isnan(p99);
    auto ms = [](double seconds) { return std::isfinite(seconds) ? seconds * 1000.0 : 0.0; };
    r.p50Ms = ms(p50);
    r.p99Ms = ms(p99);
    if (!previous)
        return r;
    const double seconds =
        std::max<qint64>(current.timestampMs - previous->timestampMs, 1) / 1000.0;
    auto rate = [&](QStringView outcome) {
        return counterDelta(
                   metric::value(*previous, metric::kLookupTotal, metric::kOutcome, outcome),
                   metric::value(current, metric::kLookupTotal, metric::kOutcome, outcome)) /
               seconds;
    };
    r.hitsPerSecond = rate(u"hit");
    r.missesPerSecond = rate(u"miss");
    r.errorsPerSecond = rate(u"error");
    return r;
}

} // namespace regscope
