#pragma once
// The discovery server's self-protection state as the banner shows it, read from one
// /metrics sample (discovery_* gauges).

#include "models/SourceEvent.h"

#include <optional>

namespace regscope {

struct ProtectionStatus {
    bool on = false;
    qint64 renewsLastWindow = 0;
    qint64 threshold = 0;
    qint64 instances = 0;
    qint64 expired = 0; // not renewed for longer than the eviction threshold
    double percent = 0.85;
    double windowSeconds = 60;

    // Instances the next pass would evict if protection were lifted now (the per-pass cap
    // n - floor(n x percent) applies).
    qint64 wouldEvictIfLifted() const;

    // nullopt when the sample has no discovery_self_protection gauge.
    static std::optional<ProtectionStatus> fromSample(const MetricsSample& sample);
};

} // namespace regscope
