#pragma once
// What a discovery server's /metrics says about the server itself: who it is (so a restart
// is told apart from evictions), what it counted, and the timing its instances keep.

#include "models/SourceEvent.h"

#include <QString>

#include <optional>

namespace regscope::discoveryconn {

struct ServerFacts {
    // discovery_server_info{instance_id=…}, else discovery_server_start_time_seconds; empty
    // when the server says neither.
    QString identity;
    std::optional<double> uptimeSeconds;  // discovery_uptime_seconds
    std::optional<qint64> evictionsTotal; // discovery_evictions_total
    std::optional<qint64> renewIntervalMs;
    std::optional<qint64> evictThresholdMs;
    std::optional<qint64> pollTimeoutMs;

    static ServerFacts fromPoints(const std::vector<MetricPoint>& points);
};

// Follows one server's identity across scrapes.
class ServerIdentity {
public:
    // True when this scrape is from another server process than the last one: its identity
    // changed or, when it has none, its uptime went back.
    bool restarted(const ServerFacts& facts);

private:
    QString m_identity;
    double m_uptime = -1;
};

} // namespace regscope::discoveryconn
