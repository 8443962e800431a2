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

class ServerMetrics {
public:
    void countRequest(const std::string& endpoint, int code) { ++m_requests[{endpoint, code}]; }
    void countConnection() { ++m_connections; }
    void countRefused() { ++m_refused; }

    std::string prometheus(const discovery::RegistryStats& s,
                           const discovery::DiscoveryConfig& c) const;
    nlohmann::json status(const discovery::RegistryStats& s,
                          const discovery::DiscoveryConfig& c) const;

private:
    std::map<std::pair<std::string, int>, std::uint64_t> m_requests;
    std::uint64_t m_connections = 0;
    std::uint64_t m_refused = 0;
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
};

} // namespace regscope::discoveryd
