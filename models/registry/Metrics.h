#pragma once
// A point-in-time copy of a registry's metrics: safe to take while lookups run (the counters
// it sums are relaxed atomics written only by their own thread), plain data afterwards.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace regscope::registry {

struct LatencyHistogram {
    std::vector<double> boundsSeconds{}; // upper bounds (le) of the finite buckets, ascending
    std::vector<std::uint64_t>
        counts{};            // boundsSeconds.size() + 1 (the last is +Inf), not cumulative
    std::uint64_t count = 0; // number of timed (sampled) lookups
    double sumSeconds = 0;

    // The upper bound of the bucket holding quantile q (0..1); 0 when empty, +Inf beyond the
    // last bound. Bucket resolution, as Prometheus' histogram_quantile would give it.
    double Quantile(double q) const;
    double P50() const { return Quantile(0.50); }
    double P99() const { return Quantile(0.99); }
};

struct NameCount {
    std::string name{};
    std::uint64_t count = 0;
    // Misses only (topMisses): how much of `count` may not be misses of this name. Always
    // true >= count - error (a lower bound); `count` alone is an estimate (see topMisses).
    std::uint64_t error = 0;
};

struct MetricsSnapshot {
    std::uint64_t entries = 0; // registrations in the current snapshot, all tenants (gauge)
    std::uint64_t aliases = 0; // aliases in the current snapshot (gauge)
    std::uint64_t generation = 0;

    std::uint64_t lookupHit = 0;
    std::uint64_t lookupMiss = 0;  // NotFound or NoMatchingVersion
    std::uint64_t lookupError = 0; // any other error (InvalidName, InvalidConstraint)

    std::map<std::string, std::uint64_t> registerTotal{};         // outcome ("ok", code) -> n
    std::map<std::string, std::uint64_t> deprecatedLookupTotal{}; // alias or deprecated name -> n

    // Lookup latency, timed on a sample of lookups (1 in latencySampleEvery per thread) so the
    // hot path does not pay two clock reads on every call.
    LatencyHistogram latency;
    std::uint32_t latencySampleEvery = 0;

    std::vector<NameCount> hitsByName{}; // every name with at least one hit, by count desc
    // The most-missed names: a space-saving top-K per looking-up thread (K = missTopK), merged
    // (counts and errors summed), largest count first, at most K. Bounded whatever names are
    // looked up. What holds for every entry: true misses >= count - error. While a thread has
    // missed at most K distinct names, its counts are exact (error 0). A name already in a
    // thread's table is counted exactly from then on; when the table is full, only 1 miss of an
    // untracked name in missSampleEvery evicts a least counted name (count = its count + 1,
    // error = its count). Once a table has evicted, a count may over-state (by at most error)
    // or under-state the truth (misses before admission, or counted on a table that later
    // evicted the name, are lost).
    std::vector<NameCount> topMisses{};
    std::uint32_t missTopK = 0;
    std::uint32_t missSampleEvery = 1; // RegistryOptions::missSampleEvery

    // Prometheus text exposition (version 0.0.4), metric names prefixed "regscope_registry_":
    // entries, aliases, lookup_total{outcome}, register_total{outcome},
    // deprecated_lookup_total{name}, lookup_latency_seconds (histogram),
    // lookup_hits_by_name_total{name}, lookup_misses_by_name_total{name} (top-K only).
    std::string ToPrometheus() const;
};

} // namespace regscope::registry
