#pragma once
// Space-saving top-K (Metwally et al.): the K most frequent names in a stream, with bounded
// memory whatever the stream holds. Used per looking-up thread for missed names, so it sits
// on the miss path: O(1) per name with the paper's "stream summary" (items grouped in buckets
// of equal count, buckets in ascending order, so the eviction candidate is the first item of
// the first bucket), an open-addressing index, and no allocation once a slot's string has the
// capacity for the names it sees.
// Not thread-safe: the owner serialises.

#include "models/registry/Metrics.h"

#include <cstdint>
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
    explicit MissSketch(std::uint32_t capacity);
    void Add(std::string_view name) { Add(name, StringHash{}(name)); }
    // hash: StringHash{}(name); weight: how many occurrences this one stands for (sampling).
    void Add(std::string_view name, std::size_t hash, std::uint64_t weight = 1);
    // Adds this sketch's counters into `into` (name -> count, error).
    void
    MergeInto(std::unordered_map<std::string, NameCount, StringHash, std::equal_to<>>& into) const;
    std::size_t Size() const { return names_.size(); }

private:
    std::uint32_t Find(std::string_view name, std::size_t hash) const; // item or kNone
    void IndexInsert(std::uint32_t item);
    void IndexErase(std::uint32_t item);
    void Increment(std::uint32_t item, std::uint64_t weight); // moves it up the buckets
    void Unlink(std::uint32_t item); // out of its bucket (frees an emptied bucket)
    void LinkInto(std::uint32_t item, std::uint32_t bucket);
    std::uint32_t NewBucketAfter(std::uint32_t after, std::uint64_t count); // kNone: at front

    static constexpr std::uint32_t kNone = ~std::uint32_t{0};
    std::uint32_t capacity_;
    std::vector<std::string> names_;
    std::vector<std::size_t> hashes_;
    std::vector<std::uint64_t> counts_;
    std::vector<std::uint64_t> errors_;
    // Items: doubly linked within their bucket.
    std::vector<std::uint32_t> bucketOf_, prevItem_, nextItem_;
    // Buckets (at most one per item): count, first item, neighbours in ascending count order.
    struct Bucket {
        std::uint64_t count = 0;
        std::uint32_t head = kNone;
        std::uint32_t prev = kNone;
        std::uint32_t next = kNone;
    };
    std::vector<Bucket> buckets_;
    std::vector<std::uint32_t> freeBuckets_;
    std::uint32_t firstBucket_ = kNone;
    std::vector<std::uint32_t> index_; // open addressing, linear probing: item + 1, 0 empty
    std::size_t mask_ = 0;
};

} // namespace regscope::registry::detail
