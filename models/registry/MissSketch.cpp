#include "models/registry/MissSketch.h"

#include <bit>

namespace regscope::registry::detail {

MissSketch::MissSketch(std::uint32_t capacity)
    : capacity_(capacity) {
    if (capacity_ == 0)
        return;
    names_.reserve(capacity_);
    hashes_.reserve(capacity_);
    counts_.reserve(capacity_);
    errors_.reserve(capacity_);
    heap_.reserve(capacity_);
    pos_.reserve(capacity_);
    index_.assign(std::bit_ceil(std::size_t{capacity_} * 2), 0);
    mask_ = index_.size() - 1;
}

std::uint32_t MissSketch::Find(std::string_view name, std::size_t hash) const {
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
        const auto slot = index_[i];
        if (slot == 0)
            return kNone;
        if (hashes_[slot - 1] == hash && names_[slot - 1] == name)
            return slot - 1;
    }
}

void MissSketch::IndexInsert(std::uint32_t item) {
    std::size_t i = hashes_[item] & mask_;
    while (index_[i] != 0)
        i = (i + 1) & mask_;
    index_[i] = item + 1;
}

void MissSketch::IndexErase(std::uint32_t item) {
    std::size_t i = hashes_[item] & mask_;
    while (index_[i] != item + 1)
        i = (i + 1) & mask_;
    // Backward-shift deletion keeps probe sequences unbroken without tombstones.
    for (std::size_t j = (i + 1) & mask_; index_[j] != 0; j = (j + 1) & mask_) {
        const std::size_t home = hashes_[index_[j] - 1] & mask_;
        if (((j - home) & mask_) >= ((j - i) & mask_)) {
            index_[i] = index_[j];
            i = j;
        }
    }
    index_[i] = 0;
}

void MissSketch::Swap(std::uint32_t a, std::uint32_t b) {
    std::swap(heap_[a], heap_[b]);
    pos_[heap_[a]] = a;
    pos_[heap_[b]] = b;
}

void MissSketch::SiftDown(std::uint32_t pos) {
    const auto n = static_cast<std::uint32_t>(heap_.size());
    while (true) {
        std::uint32_t smallest = pos;
        const std::uint32_t l = 2 * pos + 1, r = l + 1;
        if (l < n && counts_[heap_[l]] < counts_[heap_[smallest]])
            smallest = l;
        if (r < n && counts_[heap_[r]] < counts_[heap_[smallest]])
            smallest = r;
        if (smallest == pos)
            return;
        Swap(pos, smallest);
        pos = smallest;
    }
}

void MissSketch::SiftUp(std::uint32_t pos) {
    while (pos > 0) {
        const std::uint32_t parent = (pos - 1) / 2;
        if (counts_[heap_[parent]] <= counts_[heap_[pos]])
            return;
        Swap(pos, parent);
        pos = parent;
    }
}

void MissSketch::Add(std::string_view name, std::size_t hash) {
    if (capacity_ == 0)
        return;
    if (const auto item = Find(name, hash); item != kNone) {
        ++counts_[item];
        SiftDown(pos_[item]);
        return;
    }
    if (names_.size() < capacity_) {
        const auto item = static_cast<std::uint32_t>(names_.size());
        names_.emplace_back(name);
        hashes_.push_back(hash);
        counts_.push_back(1);
        errors_.push_back(0);
        heap_.push_back(item);
        pos_.push_back(static_cast<std::uint32_t>(heap_.size() - 1));
        IndexInsert(item);
        SiftUp(pos_[item]);
        return;
    }
    // Replace the least counted: the newcomer inherits its count as the error bound.
    const auto victim = heap_[0];
    IndexErase(victim);
    names_[victim].assign(name);
    hashes_[victim] = hash;
    errors_[victim] = counts_[victim];
    ++counts_[victim];
    IndexInsert(victim);
    SiftDown(0);
}

void MissSketch::MergeInto(
    std::unordered_map<std::string, NameCount, StringHash, std::equal_to<>>& into) const {
    for (std::size_t i = 0; i < names_.size(); ++i) {
        auto& nc = into[names_[i]];
        nc.name = names_[i];
        nc.count += counts_[i];
        nc.error += errors_[i];
    }
}

} // namespace regscope::registry::detail
