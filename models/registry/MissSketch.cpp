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
    bucketOf_.reserve(capacity_);
    prevItem_.reserve(capacity_);
    nextItem_.reserve(capacity_);
    buckets_.resize(capacity_);
    for (std::uint32_t b = capacity_; b-- > 0;)
        freeBuckets_.push_back(b);
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

std::uint32_t MissSketch::NewBucketAfter(std::uint32_t after, std::uint64_t count) {
    const std::uint32_t b = freeBuckets_.back();
    freeBuckets_.pop_back();
    auto& nb = buckets_[b];
    nb.count = count;
    nb.head = kNone;
    nb.prev = after;
    nb.next = after == kNone ? firstBucket_ : buckets_[after].next;
    if (nb.next != kNone)
        buckets_[nb.next].prev = b;
    if (after == kNone)
        firstBucket_ = b;
    else
        buckets_[after].next = b;
    return b;
}

void MissSketch::LinkInto(std::uint32_t item, std::uint32_t bucket) {
    auto& b = buckets_[bucket];
    bucketOf_[item] = bucket;
    prevItem_[item] = kNone;
    nextItem_[item] = b.head;
    if (b.head != kNone)
        prevItem_[b.head] = item;
    b.head = item;
}

void MissSketch::Unlink(std::uint32_t item) {
    const std::uint32_t bucket = bucketOf_[item];
    auto& b = buckets_[bucket];
    if (prevItem_[item] != kNone)
        nextItem_[prevItem_[item]] = nextItem_[item];
    else
        b.head = nextItem_[item];
    if (nextItem_[item] != kNone)
        prevItem_[nextItem_[item]] = prevItem_[item];
    if (b.head == kNone) { // emptied: unlink the bucket and recycle it
        if (b.prev != kNone)
            buckets_[b.prev].next = b.next;
        else
            firstBucket_ = b.next;
        if (b.next != kNone)
            buckets_[b.next].prev = b.prev;
        freeBuckets_.push_back(bucket);
    }
}

void MissSketch::Increment(std::uint32_t item, std::uint64_t weight) {
    const std::uint32_t from = bucketOf_[item];
    const std::uint64_t count = (counts_[item] += weight);
    // The bucket with that count, or the one after which to create it (ascending order).
    std::uint32_t after = from;
    std::uint32_t to = buckets_[from].next;
    while (to != kNone && buckets_[to].count < count) {
        after = to;
        to = buckets_[to].next;
    }
    if (to == kNone || buckets_[to].count != count) {
        // Alone in its bucket and nothing in between: the bucket itself moves up.
        if (after == from && buckets_[from].head == item && nextItem_[item] == kNone) {
            buckets_[from].count = count;
            return;
        }
        to = NewBucketAfter(after, count);
    }
    Unlink(item);
    LinkInto(item, to);
}

void MissSketch::Add(std::string_view name, std::size_t hash, std::uint64_t weight) {
    if (capacity_ == 0 || weight == 0)
        return;
    if (const auto item = Find(name, hash); item != kNone) {
        Increment(item, weight);
        return;
    }
    if (names_.size() < capacity_) {
        const auto item = static_cast<std::uint32_t>(names_.size());
        names_.emplace_back(name);
        hashes_.push_back(hash);
        counts_.push_back(weight);
        errors_.push_back(0);
        bucketOf_.push_back(kNone);
        prevItem_.push_back(kNone);
        nextItem_.push_back(kNone);
        IndexInsert(item);
        // Find (or create) the bucket for `weight`, walking up from the smallest.
        std::uint32_t after = kNone;
        std::uint32_t bucket = firstBucket_;
        while (bucket != kNone && buckets_[bucket].count < weight) {
            after = bucket;
            bucket = buckets_[bucket].next;
        }
        if (bucket == kNone || buckets_[bucket].count != weight)
            bucket = NewBucketAfter(after, weight);
        LinkInto(item, bucket);
        return;
    }
    // Replace a least counted name: the newcomer inherits its count as the error bound.
    const auto victim = buckets_[firstBucket_].head;
    IndexErase(victim);
    names_[victim].assign(name);
    hashes_[victim] = hash;
    errors_[victim] = counts_[victim];
    IndexInsert(victim);
    Increment(victim, weight);
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
