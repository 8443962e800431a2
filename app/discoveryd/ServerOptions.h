#pragma once
// regscope-discoveryd's settings: command-line flags over an optional JSON config file.

#include "models/discovery/DiscoveryConfig.h"

#include <chrono>
#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace regscope::discoveryd {

struct ServerOptions {
    std::string host = "127.0.0.1";
    unsigned short port = 7171;
    discovery::DiscoveryConfig registry;
    std::size_t maxBodyBytes = 64 * 1024;
    std::size_t maxHeaderBytes = 64 * 1024;
    std::size_t maxConnections = 16'000;
    // Reply bytes queued for writing: one connection's reply, and all unfinished replies
    // together (a reply shared by several connections counts once). Past either: HTTP 503.
    std::size_t maxWriteQueue = 64u << 20;
    std::size_t maxWriteQueueTotal = 128u << 20;
    std::chrono::milliseconds idleTimeout{60'000};
    // A request (line, headers and body) must arrive within this from its first byte, or
    // from the accept for a fresh connection.
    std::chrono::milliseconds headerTimeout{10'000};
    // A reply that makes no progress (no chunk accepted by the socket) for this long: closed.
    std::chrono::milliseconds writeTimeout{10'000};
    std::chrono::milliseconds tick{0}; // 0: derived from the shortest duration
    bool help = false;
};

// argv without the program name. Errors name the flag or config key.
std::expected<ServerOptions, std::string> parseOptions(const std::vector<std::string>& args);

std::string usage();

} // namespace regscope::discoveryd
