#pragma once
// Request counters of the HTTP front and the Prometheus / JSON renderings of the server's
// state. Shared by the server's io threads: counters are atomic, the request table locked.

#include "models/discovery/DiscoveryRegistry.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace regscope::discoveryd {

// Transport figures the HTTP front keeps (open connections, sheds, write-buffer bytes...).
struct TransportStats {
    using Counter = std::atomic<std::uint64_t>;
    Counter open{0};             // connections open now (every io thread)
    Counter shed{0};             // closed to make room (cap or out of descriptors)
    Counter acceptErrors{0};     // accept() failures (EMFILE, ENFILE...)
    Counter headerTimeouts{0};   // closed: request not complete within --header-timeout
    Counter writeTimeouts{0};    // closed: reply made no progress within --write-timeout
    Counter writeRefused{0};     // replies refused with 503: write buffer bound reached
    Counter badRequests{0};      // HTTP 400: unparsable request
    Counter writeBufferBytes{0}; // reply bytes held for unfinished writes (shared once per thread)
};

class ServerMetrics {
public:
    ServerMetrics();

    void countRequest(std::string_view endpoint, int code) {
        const std::lock_guard lock(m_mutex);
        // Heterogeneous lookup: a known endpoint and code cost no allocation.
        const auto it = m_requests.find(std::pair{endpoint, code});
        if (it != m_requests.end())
            ++it->second;
        else
            ++m_requests[{std::string(endpoint), code}];
    }
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
    mutable std::mutex m_mutex;
    // Ordered by (endpoint, code); compares with (string_view, int) keys as well.
    struct RequestKeyLess {
        using is_transparent = void;
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            const std::string_view ea(a.first), eb(b.first);
            return ea < eb || (ea == eb && a.second < b.second);
        }
    };
    std::map<std::pair<std::string, int>, std::uint64_t, RequestKeyLess> m_requests;
    std::atomic<std::uint64_t> m_connections{0};
    std::atomic<std::uint64_t> m_refused{0};
    TransportStats m_transport;
    std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
    double m_startUnix = 0;
    std::string m_instanceId;
};

} // namespace regscope::discoveryd
