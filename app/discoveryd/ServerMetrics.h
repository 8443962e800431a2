#pragma once
// Request counters of the HTTP front and the Prometheus / JSON renderings of the server's
// state. Touched only from the server's io thread.

#include "models/discovery/DiscoveryRegistry.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace regscope::discoveryd {

// Transport figures the HTTP front keeps (open connections, sheds, write-buffer bytes...).
struct TransportStats {
    std::uint64_t open = 0;             // connections open now
    std::uint64_t shed = 0;             // closed to make room (cap or out of descriptors)
    std::uint64_t acceptErrors = 0;     // accept() failures (EMFILE, ENFILE...)
    std::uint64_t headerTimeouts = 0;   // closed: request not complete within --header-timeout
    std::uint64_t writeTimeouts = 0;    // closed: reply made no progress within --write-timeout
    std::uint64_t writeRefused = 0;     // replies refused with 503: write buffer bound reached
    std::uint64_t badRequests = 0;      // HTTP 400: unparsable request
    std::uint64_t writeBufferBytes = 0; // reply bytes held for unfinished writes (shared once)
};

class ServerMetrics {
public:
    ServerMetrics();

    void countRequest(const std::string& endpoint, int code) { ++m_requests[{endpoint, code}]; }
    void countConnection() { ++m_connections; }
    void countRefused() { ++m_refused; }
    TransportStats& transport() { return m_transport; }

    // Who this process is: a restart changes both (the app tells a restart from evictions).
    double startTimeSeconds() const { return m_startUnix; }
    const std::string& instanceId() const { return m_instanceId; }

    std::string prometheus(const discovery::RegistryStats& s,
                           const discovery::DiscoveryConfig& c) const;
    nlohmann::json status(const discovery::RegistryStats& s,
                          const discovery::DiscoveryConfig& c) const;

private:
    std::map<std::pair<std::string, int>, std::uint64_t> m_requests;
    std::uint64_t m_connections = 0;
    std::uint64_t m_refused = 0;
    TransportStats m_transport;
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
    double m_startUnix = 0;
    std::string m_instanceId;
};

} // namespace regscope::discoveryd
