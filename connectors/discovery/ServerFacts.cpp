#include "connectors/discovery/ServerFacts.h"

using namespace Qt::StringLiterals;

namespace regscope::discoveryconn {

namespace {
qint64 toMs(double seconds) {
    return static_cast<qint64>(seconds * 1000.0 + 0.5);
}
} // namespace

ServerFacts ServerFacts::fromPoints(const std::vector<MetricPoint>& points) {
    ServerFacts f;
    QString startTime;
    for (const auto& p : points) {
        if (p.name == u"discovery_server_info")
            f.identity = p.labels.value(u"instance_id"_s);
        else if (p.name == u"discovery_server_start_time_seconds")
            startTime = QString::number(p.value, 'f', 3);
        else if (p.name == u"discovery_uptime_seconds")
            f.uptimeSeconds = p.value;
        else if (p.name == u"discovery_evictions_total")
            f.evictionsTotal = static_cast<qint64>(p.value);
        else if (p.name == u"discovery_renew_interval_seconds" && p.value > 0)
            f.renewIntervalMs = toMs(p.value);
        else if (p.name == u"discovery_evict_threshold_seconds" && p.value > 0)
            f.evictThresholdMs = toMs(p.value);
        else if (p.name == u"discovery_poll_timeout_seconds" && p.value > 0)
            f.pollTimeoutMs = toMs(p.value);
    }
    if (f.identity.isEmpty() && !startTime.isEmpty())
        f.identity = u"start:"_s % startTime;
    return f;
}

bool ServerIdentity::restarted(const ServerFacts& facts) {
    bool moved = false;
    if (!facts.identity.isEmpty()) {
        moved = !m_identity.isEmpty() && facts.identity != m_identity;
        m_identity = facts.identity;
    } else if (facts.uptimeSeconds) {
        // Half a second of slack: two scrapes can cross on the wire.
        moved = m_uptime >= 0 && *facts.uptimeSeconds + 0.5 < m_uptime;
    }
    if (facts.uptimeSeconds)
        m_uptime = *facts.uptimeSeconds;
    return moved;
}

} // namespace regscope::discoveryconn
