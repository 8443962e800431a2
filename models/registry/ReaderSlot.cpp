#include "models/registry/ReaderSlot.h"

#include <algorithm>

namespace regscope::registry::detail {
namespace {

void FoldInto(RetiredTotals& t, ReaderSlot& s) {
    auto load = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
    t.hits += load(s.hits);
    t.misses += load(s.misses);
    t.errors += load(s.errors);
    t.latencyCount += load(s.latencyCount);
    t.latencySumNs += load(s.latencySumNs);
    for (std::size_t i = 0; i < s.latency.size(); ++i)
        t.latency[i] += load(s.latency[i]);
    for (std::size_t c = 0; c < kNameChunks; ++c)
        if (Counter* chunk = s.nameHits[c].load(std::memory_order_acquire))
            for (std::size_t i = 0; i < kNameChunk; ++i)
                if (auto n = load(chunk[i]))
                    t.nameHits[static_cast<std::uint32_t>(c * kNameChunk + i)] += n;
    std::lock_guard lock(s.missMutex);
    s.missSketch.MergeInto(t.missNames);
    // Keep the retired miss table bounded too: drop the least counted beyond 4 x top-K.
    const std::size_t bound = 4 * std::max<std::size_t>(s.missSketch.Size(), 64);
    if (t.missNames.size() > bound) {
        std::vector<std::pair<std::uint64_t, std::string>> order;
        order.reserve(t.missNames.size());
        for (const auto& [name, nc] : t.missNames)
            order.emplace_back(nc.count, name);
        std::ranges::sort(order, std::greater{});
        for (std::size_t i = bound; i < order.size(); ++i)
            t.missNames.erase(order[i].second);
    }
}

struct ThreadSlots {
    struct Entry {
        std::uint64_t registryId;
        std::shared_ptr<SlotDirectory> dir;
        std::unique_ptr<ReaderSlot> slot;
    };
    std::vector<Entry> entries;

    // Unlists the slot (folding its counters into the registry's retired totals). The slot
    // itself, and the snapshot it caches, are destroyed by the caller.
    static void Unlist(Entry& e) {
        std::lock_guard lock(e.dir->mutex);
        if (!e.dir->alive)
            return;
        auto& v = e.dir->slots;
        v.erase(std::remove(v.begin(), v.end(), e.slot.get()), v.end());
        FoldInto(e.dir->retired, *e.slot);
    }

    ~ThreadSlots() {
        ResetFastSlotCache();
        auto all = std::move(entries);
        for (auto& e : all)
            Unlist(e);
        all.clear(); // may run implementation destructors (last reference to old snapshots)
    }
};

thread_local ThreadSlots tlsSlots;

} // namespace

ReaderSlot::~ReaderSlot() {
    if (block->pins == 0)
        delete block;
    else
        block->detached = true; // the last Handle frees it
    for (auto& c : nameHits)
        delete[] c.load(std::memory_order_relaxed);
}

Counter* ReaderSlot::AllocateChunk(std::size_t index) {
    auto* chunk = new Counter[kNameChunk]{};
    nameHits[index].store(chunk, std::memory_order_release);
    return chunk;
}

void ReaderSlot::CountLatency(std::uint64_t ns) {
    std::size_t i = 0;
    while (i < kLatencyBoundsNs.size() && ns > kLatencyBoundsNs[i])
        ++i;
    Bump(latency[i]);
    Bump(latencyCount);
    Bump(latencySumNs, ns);
}

ReaderSlot* FindSlot(std::uint64_t registryId) {
    for (auto& e : tlsSlots.entries)
        if (e.registryId == registryId)
            return e.slot.get();
    return nullptr;
}

ReaderSlot* AcquireSlot(std::uint64_t registryId, const std::shared_ptr<SlotDirectory>& dir) {
    if (auto* slot = FindSlot(registryId))
        return slot;
    // Forget slots of registries that are gone, so a long-lived thread that reads many
    // short-lived registries does not accumulate them.
    std::vector<ThreadSlots::Entry> dead;
    auto& v = tlsSlots.entries;
    for (auto it = v.begin(); it != v.end();) {
        if (!it->dir->aliveFlag.load(std::memory_order_acquire)) {
            dead.push_back(std::move(*it));
            it = v.erase(it);
        } else {
            ++it;
        }
    }
    auto slot = std::make_unique<ReaderSlot>(dir->topK, dir->sampleEvery, dir->missSampleEvery);
    ReaderSlot* raw = slot.get();
    {
        std::lock_guard lock(dir->mutex);
        dir->slots.push_back(raw);
    }
    v.push_back({registryId, dir, std::move(slot)});
    dead.clear(); // after our bookkeeping: destructors of old implementations may read again
    return raw;
}

std::shared_ptr<const Snapshot> InstallSnapshot(ReaderSlot& slot,
                                                std::shared_ptr<const Snapshot> fresh) {
    std::shared_ptr<const Snapshot> old;
    PinBlock* b = slot.block;
    if (b->pins == 0) {
        old = std::exchange(b->snap, std::move(fresh));
    } else {
        // Live Handles pin the current block: leave it to them, start a new one.
        b->detached = true;
        b = new PinBlock{std::move(fresh), 0, false};
        slot.block = b;
    }
    slot.snap = b->snap.get();
    slot.seenGeneration = slot.snap ? slot.snap->generation : ~std::uint64_t{0};
    return old;
}

void FreeDetachedBlock(PinBlock* block) {
    delete block;
}

} // namespace regscope::registry::detail
