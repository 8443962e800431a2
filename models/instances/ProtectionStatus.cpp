#include "models/instances/ProtectionStatus.h"

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace regscope {

qint64 ProtectionStatus::wouldEvictIfLifted() const {
    const auto cap =
        instances - static_cast<qint64>(std::floor(static_cast<double>(instances) * percent));
    return std::min(expired, cap);
}

std::optional<ProtectionStatus> ProtectionStatus::fromSample(const MetricsSample& sample) {
    ProtectionStatus s;
    bool found = false;
    for (const auto& p : sample.points) {
        const auto v = static_cast<qint64>(p.value);
        if (p.name == u"discovery_self_protection") {
            s.on = p.value != 0;
            found = true;
        } else if (p.name == u"discovery_renews_last_window") {
            s.renewsLastWindow = v;
        } else if (p.name == u"discovery_renew_threshold") {
            s.threshold = v;
        } else if (p.name == u"discovery_instances") {
            s.instances = v;
        } else if (p.name == u"discovery_instances_expired") {
            s.expired = v;
        } else if (p.name == u"discovery_percent_threshold") {
            s.percent = p.value;
        } else if (p.name == u"discovery_evict_interval_seconds") {
            s.windowSeconds = p.value;
        }
    }
    if (!found)
        return std::nullopt;
    return s;
}

} // namespace regscope
