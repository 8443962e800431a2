#pragma once
// The most-missed names of one looking-up thread: a space-saving top-K (Metwally et al.) with
// bounded memory whatever names are looked up, built so that the miss path stays cheap:
//   - a name already in the table is counted exactly, by its owner thread, with one relaxed
//     store and no lock (Find + Count);
//   - a name not in the table is admitted (Admit, under the owner's lock): into a free slot
//     while there is one, else in place of a least counted name, whose count the newcomer
//     inherits as its error bound (count = that count + 1, error = that count).
// What each entry then guarantees: true misses of the name >= count - error, always (the count
// since admission is exact, and admission adds 1 for the miss being counted). If every miss of
// an untracked name is admitted (the caller samples nothing), it is the classic space-saving
// summary and count >= true as well; if the caller admits only a sample of them when the table
// is full (RegistryOptions::missSampleEvery), misses of a name before its admission may be
// uncounted, so count alone may also under-state the truth.
// Threads: Find and Count by the owner only, without a lock; Admit by the owner holding the
// lock that MergeInto / Size callers on other threads hold too. Counts are relaxed atomics,
// so a reader under the lock sees each one whole while the owner keeps counting.

#include "models/registry/Metrics.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace regscope::registry::detail {

// Transparent (lookups by string_view allocate nothing). Deliberately not noexcept: libstdc++
// then caches each node's hash code, so a lookup compares codes before bytes and never
// re-hashes the keys of its bucket chain (the difference measured ~2x).
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class MissSketch {
public:
    static constexpr std::uint32_t kNone = ~std::uint32_t{0};

    explicit MissSketch(std::uint32_t capacity);

    // Owner thread, no lock. hash: StringHash{}(name). The item holding `name`, or kNone.
    std::uint32_t Find(std::string_view name, std::size_t hash) const {
        if (capacity_ == 0)
            return kNone;
        const std::uint64_t tag = Tag(hash);
        for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
            const std::uint64_t e = index_[i];
            if (e == 0)
                return kNone;
            if ((e & kTagMask) == tag) { // the bytes are compared only on a 32-bit tag match
                const auto item = static_cast<std::uint32_t>(e) - 1;
                if (names_[item] == name)
                    return item;
            }
        }
    }
    // Owner thread, no lock: one more miss of a tracked item.
    void Count(std::uint32_t item) {
        auto& c = counts_[item];
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    // Owner thread, no lock: whether admitting a new name would evict one.
    bool Full() const { return names_.size() >= capacity_; }
    // Owner thread, under the lock: start tracking `name` (not tracked yet) for this miss.
    void Admit(std::string_view name, std::size_t hash);
    // Owner thread, under the lock: every miss, nothing sampled (classic space-saving).
    void Add(std::string_view name) { Add(name, StringHash{}(name)); }
    void Add(std::string_view name, std::size_t hash) {
        if (const auto item = Find(name, hash); item != kNone)
            Count(item);
        else
            Admit(name, hash);
    }

    // Any thread, under the lock. Adds this sketch's counters into `into` (name -> count, error).
    void
    MergeInto(std::unordered_map<std::string, NameCount, StringHash, std::equal_to<>>& into) const;
    std::size_t Size() const { return names_.size(); }

private:
    void IndexInsert(std::uint32_t item);
    void IndexErase(std::uint32_t item);
    void SiftUp(std::size_t pos);
    void SiftDown(std::size_t pos);
    std::uint32_t LeastCounted(); // refreshes stale heap keys on the way

    std::uint32_t capacity_;
    std::vector<std::string> names_; // reserved to capacity: never reallocates
    std::vector<std::size_t> hashes_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
    std::vector<std::uint64_t> errors_;
    // Open addressing, linear probing, load <= 1/4: (hash's high 32 bits << 32) | (item + 1),
    // 0 empty. The slot comes from the hash's low bits, the tag from its high bits, so a miss
    // of an untracked name is decided in the index alone (about 1.2 probes, no name bytes).
    static constexpr std::uint64_t kTagMask = ~std::uint64_t{0xffff'ffff};
    static std::uint64_t Tag(std::size_t hash) { return std::uint64_t{hash} & kTagMask; }
    std::vector<std::uint64_t> index_;
    std::size_t mask_ = 0;
    // A min-heap of items by heapKey_, a count each item had at some point. Counts only grow
    // (Count runs without the lock and does not touch the heap), so a key is a lower bound of
    // its item's count: when the top's key equals its count, no item counts less. Admit
    // refreshes stale tops until that holds, so each Count costs at most one later O(log K)
    // fix-up, on the (sampled) admission path.
    std::vector<std::uint32_t> heap_;
    std::vector<std::uint64_t> heapKey_;
};

} // namespace regscope::registry::detail
