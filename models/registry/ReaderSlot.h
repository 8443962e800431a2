#pragma once
// Internal: the per-thread, per-registry read state. Each reading thread owns one ReaderSlot
// per registry it reads: the snapshot it caches, and its metric counters. Only the owning
// thread writes a slot; Metrics() reads the counters (relaxed atomics) from other threads.
// Slots are listed in the registry's SlotDirectory so their counters can be summed.

#include "models/registry/MissSketch.h"
#include "models/registry/Snapshot.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace regscope::registry::detail {

using Counter = std::atomic<std::uint64_t>;
// Single-writer increment: a plain load and store, no locked read-modify-write.
inline void Bump(Counter& c, std::uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// Latency bucket upper bounds, nanoseconds.
// A 1-2.5-5 ladder from 25 ns to 10 ms: a lookup preempted by the scheduler (tens of µs)
// lands in its own bucket instead of being reported as 100 µs.
inline constexpr std::array<std::uint64_t, 18> kLatencyBoundsNs = {
    25,     50,     100,     250,     500,     1'000,     2'500,     5'000,     10'000,
    25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};

// Per-name hit counters: chunks allocated on first hit, never moved, so a reader of the
// metrics can follow the pointers while the owner keeps counting.
inline constexpr std::size_t kNameChunk = 1024;
inline constexpr std::size_t kNameChunks = 256; // names with an id beyond 262,143 are not counted

// Guards a slot's miss sketch: taken by the owner when it admits a name and by Metrics() now
// and then, so almost never contended; cheaper than a std::mutex there.
class SpinLock {
public:
    void lock() noexcept {
        while (flag_.test_and_set(std::memory_order_acquire))
            std::this_thread::yield();
    }
    void unlock() noexcept { flag_.clear(std::memory_order_release); }

private:
    std::atomic_flag flag_ = ATOMIC_FLAG_INIT;
};

struct alignas(64) ReaderSlot {
    // Owner thread only.
    PinBlock* block = nullptr;
    const Snapshot* snap = nullptr;
    std::uint64_t seenGeneration = ~std::uint64_t{0};
    std::uint32_t sampleCountdown = 1;
    std::uint32_t sampleEvery = 0; // RegistryOptions::latencySampleEvery, copied here
    std::uint32_t missCountdown = 1;
    std::uint32_t missSampleEvery = 1; // RegistryOptions::missSampleEvery, copied here

    // Owner writes, Metrics() reads.
    Counter hits{0};
    Counter misses{0};
    Counter errors{0};
    std::array<Counter, kLatencyBoundsNs.size() + 1> latency{};
    Counter latencyCount{0};
    Counter latencySumNs{0};
    std::array<std::atomic<Counter*>, kNameChunks> nameHits{};

    SpinLock missMutex; // owner (on a miss) and Metrics()
    MissSketch missSketch;

    ReaderSlot(std::uint32_t topK, std::uint32_t sampleEveryN, std::uint32_t missEveryN)
        : block(new PinBlock)
        , sampleCountdown(sampleEveryN == 0 ? 1 : sampleEveryN)
        , sampleEvery(sampleEveryN)
        , missCountdown(1) // the first untracked miss into a full table is admitted
        , missSampleEvery(missEveryN == 0 ? 1 : missEveryN)
        , missSketch(topK) {}

    // A name already in the most-missed table is counted exactly, lock-free (only this
    // thread writes the table). A new name is admitted while the table has room; once it is
    // full, only 1 untracked miss in missSampleEvery may evict a least counted name, so a
    // flood of distinct names costs a probe and a countdown per miss (see MissSketch.h for
    // what the counts then guarantee).
    void CountMiss(std::string_view name, std::size_t hash) {
        if (!CountTrackedMiss(name, hash))
            CountUntrackedMiss(name, hash);
    }
    // Counts the miss if `name` is in the table (it was valid when admitted); else false.
    bool CountTrackedMiss(std::string_view name, std::size_t hash) {
        const auto item = missSketch.Find(name, hash);
        if (item == MissSketch::kNone)
            return false;
        Bump(misses);
        missSketch.Count(item);
        return true;
    }
    void CountUntrackedMiss(std::string_view name, std::size_t hash) {
        Bump(misses);
        if (missSketch.Full()) {
            if (--missCountdown != 0)
                return;
            missCountdown = missSampleEvery;
        }
        std::lock_guard lock(missMutex);
        missSketch.Admit(name, hash);
    }
    ~ReaderSlot();

    void CountHit(std::uint32_t nameId) {
        Bump(hits);
        if (nameId / kNameChunk >= kNameChunks)
            return;
        Counter* chunk = nameHits[nameId / kNameChunk].load(std::memory_order_relaxed);
        if (!chunk) [[unlikely]]
            chunk = AllocateChunk(nameId / kNameChunk);
        Bump(chunk[nameId % kNameChunk]);
    }
    void CountLatency(std::uint64_t ns);
    Counter* AllocateChunk(std::size_t index);
};

// Totals of slots whose thread has exited.
struct RetiredTotals {
    std::uint64_t hits = 0, misses = 0, errors = 0, latencyCount = 0, latencySumNs = 0;
    std::array<std::uint64_t, kLatencyBoundsNs.size() + 1> latency{};
    std::unordered_map<std::uint32_t, std::uint64_t> nameHits;
    std::unordered_map<std::string, NameCount, StringHash, std::equal_to<>> missNames;
};

// Shared by a registry and the threads that read it; outlives whichever goes first.
struct SlotDirectory {
    std::mutex mutex;
    std::vector<ReaderSlot*> slots; // live slots (owned by their threads)
    bool alive = true;
    std::atomic<bool> aliveFlag{true};
    RetiredTotals retired;
    std::uint32_t topK = 256;
    std::uint32_t sampleEvery = 64;
    std::uint32_t missSampleEvery = 1;
};

// The calling thread's slot for the registry `registryId`, created and listed on first use.
ReaderSlot* AcquireSlot(std::uint64_t registryId, const std::shared_ptr<SlotDirectory>& dir);
// The calling thread's slot if it has one (no creation).
ReaderSlot* FindSlot(std::uint64_t registryId);
// Defined with the fast per-thread cache (RegistryCore.cpp): forget it on thread exit.
void ResetFastSlotCache();

// Installs `fresh` as the slot's snapshot. Returns the snapshot reference it let go of, for
// the caller to drop once it no longer uses the slot (dropping may run implementation
// destructors that re-enter the registry).
std::shared_ptr<const Snapshot> InstallSnapshot(ReaderSlot& slot,
                                                std::shared_ptr<const Snapshot> fresh);

} // namespace regscope::registry::detail
