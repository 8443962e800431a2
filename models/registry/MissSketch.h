#pragma once
// Space-saving top-K (Metwally et al.): the K most frequent names in a stream, with bounded
// memory whatever the stream holds. Used per looking-up thread for missed names, so it sits
// on the miss path: no allocation once a slot's name fits its string capacity, a min-heap for
// the eviction candidate and an open-addressing index.
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
    std::size_t operator()(std::string_view s) const {
        return std::hash<std::string_view>{}(s);
    }
};

class MissSketch {
public:
    explicit MissSketch(std::uint32_t capacity);
    void Add(std::string_view name) { Add(name, StringHash{}(name)); }
    void Add(std::string_view name, std::size_t hash); // hash: StringHash{}(name)
    // Adds this sketch's counters into `into` (name -> count, error).
    void MergeInto(std::unordered_map<std::string, NameCount, StringHash, std::equal_to<>>& into) const;
    std::size_t Size() const { return names_.size(); }

private:
    std::uint32_t Find(std::string_view name, std::size_t hash) const; // item or kNone
    void IndexInsert(std::uint32_t item);
    void IndexErase(std::uint32_t item);
    void SiftDown(std::uint32_t pos);
    void SiftUp(std::uint32_t pos);
    void Swap(std::uint32_t a, std::uint32_t b);

    static constexpr std::uint32_t kNone = ~std::uint32_t{0};
    std::uint32_t capacity_;
    std::vector<std::string> names_;
    std::vector<std::size_t> hashes_;
    std::vector<std::uint64_t> counts_;
    std::vector<std::uint64_t> errors_;
    std::vector<std::uint32_t> heap_; // min-heap of items by count
    std::vector<std::uint32_t> pos_;  // item -> heap position
    std::vector<std::uint32_t> index_; // open addressing, linear probing: item + 1, 0 empty
    std::size_t mask_ = 0;
};

} // namespace regscope::registry::detail
