#pragma once
// Every duration and limit of the discovery server. Defaults are the reference server's
// (bilibili/discovery, PROTOCOLS.md §1); tests shrink them to milliseconds.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace regscope::discovery {

using Duration = std::chrono::nanoseconds;

struct DiscoveryConfig {
    // The interval clients are expected to renew at: sets the expected renews per window.
    Duration renewInterval = std::chrono::seconds(30);
    // Eviction pass period; renews are also counted per pass window ("renews last minute").
    Duration evictInterval = std::chrono::seconds(60);
    // An instance not renewed for longer than this is evicted by the next pass...
    Duration evictThreshold = std::chrono::seconds(90);
    // ...unless self-protection is on: then only instances older than this go.
    Duration evictCeiling = std::chrono::seconds(3600);
    // Expected renews are recomputed from the instance count this often.
    Duration resetExpectedInterval = std::chrono::minutes(15);
    // A parked long-poll is answered -304 after this long.
    Duration pollTimeout = std::chrono::seconds(30);
    // Self-protection threshold and per-pass eviction cap fraction.
    double percentThreshold = 0.85;

    // Quotas: a register that would exceed one is answered -503.
    std::size_t maxInstances = 100'000;
    std::size_t maxInstancesPerApp = 10'000;
    std::size_t maxApps = 10'000;
    std::size_t maxParkedPolls = 50'000;

    // What /discovery/nodes reports about this (single) node.
    std::string zone = "local";

    // Random seed for the eviction order (0: from std::random_device).
    std::uint64_t seed = 0;
};

} // namespace regscope::discovery
