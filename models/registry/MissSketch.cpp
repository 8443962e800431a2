#include "models/registry/MissSketch.h"

#include <algorithm>
#include <bit>

namespace regscope::registry::detail {

MissSketch::MissSketch(std::uint32_t capacity)
    : capacity_(capacity) {
    if (capacity_ == 0)
        return;
    names_.reserve(capacity_);
    hashes_.reserve(capacity_);
    errors_.reserve(capacity_);
    counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(capacity_);
    heap_.reserve(capacity_);
    heapKey_.reserve(capacity_);
    index_.assign(std::bit_ceil(std::size_t{capacity_} * 4), 0);
    mask_ = index_.size() - 1;
}

void MissSketch::IndexInsert(std::uint32_t item) {
    std::size_t i = hashes_[item] & mask_;
    while (index_[i] != 0)
        i = (i + 1) & mask_;
    index_[i] = Tag(hashes_[item]) | (std::uint64_t{item} + 1);
}

void MissSketch::IndexErase(std::uint32_t item) {
    std::size_t i = hashes_[item] & mask_;
    while (static_cast<std::uint32_t>(index_[i]) != item + 1)
        i = (i + 1) & mask_;
    // Backward-shift deletion keeps probe sequences unbroken without tombstones.
    for (std::size_t j = (i + 1) & mask_; index_[j] != 0; j = (j + 1) & mask_) {
        const std::size_t home = hashes_[static_cast<std::uint32_t>(index_[j]) - 1] & mask_;
        if (((j - home) & mask_) >= ((j - i) & mask_)) {
            index_[i] = index_[j];
            i = j;
        }
    }
    index_[i] = 0;
}

// A 4-ary heap: half the levels of a binary one (4 for K = 256), and the four children of a
// node share a cache line of heap_.
void MissSketch::SiftUp(std::size_t pos) {
    const std::uint32_t item = heap_[pos];
    while (pos > 0) {
        const std::size_t parent = (pos - 1) / 4;
        if (heapKey_[heap_[parent]] <= heapKey_[item])
            break;
        heap_[pos] = heap_[parent];
        pos = parent;
    }
    heap_[pos] = item;
}

void MissSketch::SiftDown(std::size_t pos) {
    const std::uint32_t item = heap_[pos];
    const std::uint64_t key = heapKey_[item];
    const std::size_t n = heap_.size();
    for (;;) {
        const std::size_t first = 4 * pos + 1;
        if (first >= n)
            break;
        std::size_t child = first;
        std::uint64_t least = heapKey_[heap_[first]];
        const std::size_t last = std::min(first + 4, n);
        for (std::size_t c = first + 1; c < last; ++c) {
            const std::uint64_t k = heapKey_[heap_[c]];
            child = k < least ? c : child;
            least = k < least ? k : least;
        }
        if (least >= key)
            break;
        heap_[pos] = heap_[child];
        pos = child;
    }
    heap_[pos] = item;
}

std::uint32_t MissSketch::LeastCounted() {
    for (;;) {
        const std::uint32_t top = heap_.front();
        const std::uint64_t count = counts_[top].load(std::memory_order_relaxed);
        if (heapKey_[top] == count)
            return top;
        heapKey_[top] = count; // grew since it was keyed: re-key and look again
        SiftDown(0);
    }
}

void MissSketch::Admit(std::string_view name, std::size_t hash) {
    if (capacity_ == 0)
        return;
    if (names_.size() < capacity_) {
        const auto item = static_cast<std::uint32_t>(names_.size());
        names_.emplace_back(name);
        hashes_.push_back(hash);
        errors_.push_back(0);
        counts_[item].store(1, std::memory_order_relaxed);
        IndexInsert(item);
        heapKey_.push_back(1);
        heap_.push_back(item);
        SiftUp(heap_.size() - 1);
        return;
    }
    // Replace a least counted name; the newcomer inherits its count as the error bound.
    const std::uint32_t victim = LeastCounted();
    const std::uint64_t least = heapKey_[victim];
    IndexErase(victim);
    names_[victim].assign(name);
    hashes_[victim] = hash;
    errors_[victim] = least;
    counts_[victim].store(least + 1, std::memory_order_relaxed);
    IndexInsert(victim);
    heapKey_[victim] = least + 1;
    SiftDown(0); // the victim is the top
}

void MissSketch::MergeInto(
    std::unordered_map<std::string, NameCount, StringHash, std::equal_to<>>& into) const {
    for (std::size_t i = 0; i < names_.size(); ++i) {
        auto& nc = into[names_[i]];
        nc.name = names_[i];
        nc.count += counts_[i].load(std::memory_order_relaxed);
        nc.error += errors_[i];
    }
}

} // namespace regscope::registry::detail
