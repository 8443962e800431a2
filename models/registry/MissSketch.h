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
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace regscope::registry::detail {

// The registry's string hash, inline: wyhash's final mix (a 64x64->128 multiply folded, twice)
// over the first and last bytes, 16 bytes a round before that. Every bit of the result depends
// on every input byte, as the shard (top 8 bits), part (44..47), tag (48..54) and home slot (low
// bits) all need. Names are short: a 23-byte name costs two rounds and no call, where
// std::hash<string_view> (_Hash_bytes, out of line) was ~9 ns of a ~40 ns lookup.
__extension__ using HashWide = unsigned __int128; // GCC and Clang on 64-bit targets
inline std::uint64_t HashMix(std::uint64_t a, std::uint64_t b) {
    const HashWide r = static_cast<HashWide>(a) * b;
    return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}
inline std::uint64_t HashBytes(const char* p, std::size_t n) {
    constexpr std::uint64_t k0 = 0xa0761d6478bd642fu, k1 = 0xe7037ed1a0b428dbu;
    auto read8 = [](const char* q) {
        std::uint64_t v;
        std::memcpy(&v, q, sizeof v);
        return v;
    };
    auto read4 = [](const char* q) {
        std::uint32_t v;
        std::memcpy(&v, q, sizeof v);
        return std::uint64_t{v};
    };
    std::uint64_t seed = k0 ^ n;
    std::uint64_t a = 0, b = 0;
    if (n <= 16) {
        if (n >= 4) {
            const std::size_t mid = (n >> 3) << 2; // 0 or 4: the two middle words overlap
            a = (read4(p) << 32) | read4(p + mid);
            b = (read4(p + n - 4) << 32) | read4(p + n - 4 - mid);
        } else if (n > 0) {
            const auto byte = [&](std::size_t i) {
                return std::uint64_t{static_cast<unsigned char>(p[i])};
            };
            a = (byte(0) << 16) | (byte(n >> 1) << 8) | byte(n - 1);
        }
    } else {
        const char* q = p;
        std::size_t left = n;
        for (; left > 16; left -= 16, q += 16)
            seed = HashMix(read8(q) ^ k1, read8(q + 8) ^ seed);
        a = read8(p + n - 16); // the last 16 bytes, overlapping the last round
        b = read8(p + n - 8);
    }
    return HashMix(k1 ^ n, HashMix(a ^ k1, b ^ seed));
}

// Whether n bytes at a and b are equal, a word at a time (the last word overlapping), inline:
// names are a few dozen bytes, where a call to memcmp costs more than the comparison.
inline bool SameBytes(const char* a, const char* b, std::size_t n) {
    auto read8 = [](const char* q) {
        std::uint64_t v;
        std::memcpy(&v, q, sizeof v);
        return v;
    };
    if (n >= 8) {
        for (std::size_t i = 0; i + 8 < n; i += 8)
            if (read8(a + i) != read8(b + i))
                return false;
        return read8(a + n - 8) == read8(b + n - 8);
    }
    if (n >= 4) {
        std::uint32_t x0, y0, x1, y1;
        std::memcpy(&x0, a, 4);
        std::memcpy(&y0, b, 4);
        std::memcpy(&x1, a + n - 4, 4);
        std::memcpy(&y1, b + n - 4, 4);
        return x0 == y0 && x1 == y1;
    }
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i])
            return false;
    return true;
}

// Transparent (lookups by string_view allocate nothing). Deliberately not noexcept: libstdc++
// then caches each node's hash code, so a lookup compares codes before bytes and never
// re-hashes the keys of its bucket chain (the difference measured ~2x).
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return HashBytes(s.data(), s.size()); }
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
                const std::string& n = names_[item];
                if (n.size() == name.size() && SameBytes(n.data(), name.data(), name.size()))
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
