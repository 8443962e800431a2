#include "models/registry/RegistryInternal.h"

#include <algorithm>

namespace regscope::registry {

MetricsSnapshot RegistryCore::Metrics() const {
    auto& s = *shared_;
    MetricsSnapshot m;
    {
        const auto snap = shared_->Current();
        m.entries = snap->entries;
        m.aliases = snap->aliases;
        m.generation = snap->generation;
    }
    m.latencySampleEvery = s.options.latencySampleEvery;
    m.missTopK = s.options.missTopK;
    m.missSampleEvery = s.options.missSampleEvery;
    for (auto ns : detail::kLatencyBoundsNs)
        m.latency.boundsSeconds.push_back(static_cast<double>(ns) * 1e-9);
    m.latency.counts.assign(detail::kLatencyBoundsNs.size() + 1, 0);

    std::unordered_map<std::uint32_t, std::uint64_t> hits;
    std::unordered_map<std::string, NameCount, detail::StringHash, std::equal_to<>> misses;
    std::uint64_t sumNs = 0;
    {
        auto& dir = *s.dir;
        std::lock_guard lock(dir.mutex);
        const auto& r = dir.retired;
        m.lookupHit = r.hits;
        m.lookupMiss = r.misses;
        m.lookupError = r.errors;
        m.latency.count = r.latencyCount;
        sumNs = r.latencySumNs;
        for (std::size_t i = 0; i < r.latency.size(); ++i)
            m.latency.counts[i] = r.latency[i];
        hits = r.nameHits;
        misses = r.missNames;
        auto load = [](const detail::Counter& c) { return c.load(std::memory_order_relaxed); };
        for (detail::ReaderSlot* slot : dir.slots) {
            m.lookupHit += load(slot->hits);
            m.lookupMiss += load(slot->misses);
            m.lookupError += load(slot->errors);
            m.latency.count += load(slot->latencyCount);
            sumNs += load(slot->latencySumNs);
            for (std::size_t i = 0; i < slot->latency.size(); ++i)
                m.latency.counts[i] += load(slot->latency[i]);
            for (std::size_t c = 0; c < detail::kNameChunks; ++c)
                if (auto* chunk = slot->nameHits[c].load(std::memory_order_acquire))
                    for (std::size_t i = 0; i < detail::kNameChunk; ++i)
                        if (auto n = load(chunk[i]))
                            hits[static_cast<std::uint32_t>(c * detail::kNameChunk + i)] += n;
            std::lock_guard missLock(slot->missMutex);
            slot->missSketch.MergeInto(misses);
        }
    }
    m.latency.sumSeconds = static_cast<double>(sumNs) * 1e-9;
    {
        std::lock_guard lock(s.configMutex);
        for (const auto& [id, n] : hits)
            if (id < s.idNames.size())
                m.hitsByName.push_back({s.idNames[id], n, 0});
    }
    auto byCount = [](const NameCount& a, const NameCount& b) {
        return a.count != b.count ? a.count > b.count : a.name < b.name;
    };
    std::ranges::sort(m.hitsByName, byCount);
    for (auto& [name, nc] : misses)
        m.topMisses.push_back(std::move(nc));
    std::ranges::sort(m.topMisses, byCount);
    if (m.topMisses.size() > m.missTopK)
        m.topMisses.resize(m.missTopK);
    {
        std::lock_guard lock(s.metricsMutex);
        m.registerTotal = s.registerTotal;
        m.deprecatedLookupTotal = s.deprecatedTotal;
    }
    return m;
}

} // namespace regscope::registry
