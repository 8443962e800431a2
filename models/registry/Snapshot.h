#pragma once
// Internal: the immutable state readers see. A writer copies what it changes (one tenant's
// layer at a time), never what it does not, and publishes a new Snapshot.

#include "models/registry/MissSketch.h"
#include "models/registry/RegistryCore.h"

#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace regscope::registry::detail {

inline constexpr std::uint32_t kNoNameId = std::numeric_limits<std::uint32_t>::max();

struct Record {
    std::string tenant;
    std::string name;
    Version version;
    std::string versionText; // canonical (Version::ToString)
    EntryInfo info{};
    std::chrono::system_clock::time_point registeredAt;
    std::shared_ptr<void> impl;
    std::uint32_t nameId = kNoNameId;
};

struct AliasRecord {
    std::string tenant;
    std::string alias;
    std::string target;
    std::string message;
    std::string removeAfter;
    std::chrono::system_clock::time_point createdAt;
};

// Everything registered under one name in one layer: versions, or an alias (never both).
struct NameSlot {
    // The unconstrained lookup reads only these (one cache line with the map node).
    const Record* best = nullptr; // highest release, else highest pre-release
    void* bestImpl = nullptr;
    std::uint32_t nameId = kNoNameId;
    bool bestDeprecated = false;
    std::shared_ptr<const AliasRecord> alias;
    std::vector<std::shared_ptr<const Record>> versions; // descending

    void Recompute() {
        best = nullptr;
        for (const auto& r : versions)
            if (!r->version.IsPrerelease()) {
                best = r.get();
                break;
            }
        if (!best && !versions.empty())
            best = versions.front().get();
        bestImpl = best ? best->impl.get() : nullptr;
        nameId = best ? best->nameId : kNoNameId;
        bestDeprecated = best && best->info.deprecated;
    }
};

using NameTable = std::unordered_map<std::string, NameSlot, StringHash, std::equal_to<>>;

// The read index of a layer: a flat open-addressing table built once when the layer is
// sealed (layers never change after publication). An unconstrained hit touches one 64-byte
// slot (hash, implementation, name id and, up to 31 bytes, the key itself) and nothing else;
// a std::unordered_map touches its bucket array, the node and the key's heap buffer.
inline constexpr std::size_t kInlineKey = 31;

struct alignas(64) FlatSlot {
    std::size_t hash = 0;
    void* bestImpl = nullptr;
    std::uint32_t length = 0;
    std::uint32_t nameId = kNoNameId;
    bool plainHit = false; // has a version, is no alias, best is not deprecated
    char key[kInlineKey] = {};
    const char* longKey = nullptr; // the key's bytes when longer than kInlineKey
};
static_assert(sizeof(FlatSlot) == 64);

// What a slow path or a Handle's accessors need, kept out of the hot slot.
struct ColdSlot {
    const NameSlot* slot = nullptr; // nullptr: empty table slot
    const Record* best = nullptr;
};

class FlatIndex {
public:
    FlatIndex() = default;
    // Never copied: the pointers belong to one NameTable. A copied layer is re-sealed.
    FlatIndex(const FlatIndex&) {}
    FlatIndex& operator=(const FlatIndex&) {
        Reset(0);
        return *this;
    }

    void Build(const NameTable& names) {
        const NameTable* one[] = {&names};
        Build(one);
    }
    // Indexes the names of several tables (a shard's parts); `tables` holds pointers.
    template <typename Tables>
    void Build(const Tables& tables) {
        std::size_t count = 0;
        for (const auto& t : tables)
            count += t->size();
        Reset(count == 0 ? 0 : SizeFor(count));
        for (const auto& t : tables)
            for (const auto& [key, slot] : *t) {
                const std::size_t h = StringHash{}(key);
                std::size_t i = h & mask_;
                while (tags_[i] != 0)
                    i = (i + 1) & mask_;
                Fill(i, h, key, slot);
            }
        count_ = count;
        RefreshMirror();
    }

    // A copy of `o` to update in place (Upsert, Remove): the slots still point into the
    // tables `o` indexed, which the caller keeps alive until every changed name is upserted.
    void CopyFrom(const FlatIndex& o) {
        slots_ = o.slots_;
        cold_ = o.cold_;
        mask_ = o.mask_;
        count_ = o.count_;
        if (o.tags_ == o.inlineTags_.data()) {
            inlineTags_ = o.inlineTags_;
            tagStore_.clear();
            tags_ = inlineTags_.data();
        } else {
            tagStore_ = o.tagStore_;
            tags_ = tagStore_.data();
        }
    }
    // Whether `names` names fit in place: at most half full, and (past 64 slots) at least an
    // eighth full, so a shrinking shard gets a smaller index. Else Build again.
    bool Fits(std::size_t names) const {
        const std::size_t size = mask_ + 1;
        return mask_ != 0 && names * 2 <= size && (size <= 64 || names * 8 >= size);
    }
    // Points `key`'s slot at `slot` (its node in the current table), adding it if new. The
    // caller checked Fits; RefreshMirror after a batch.
    void Upsert(const std::string& key, const NameSlot& slot) {
        const std::size_t h = StringHash{}(key);
        std::size_t i = h & mask_;
        for (; tags_[i] != 0; i = (i + 1) & mask_)
            if (Same(slots_[i], key, h))
                break;
        if (tags_[i] == 0)
            ++count_;
        Fill(i, h, key, slot);
    }
    // Drops `key` (backward-shift deletion: probe runs stay unbroken, no tombstones).
    void Remove(std::string_view key) {
        const std::size_t h = StringHash{}(key);
        std::size_t i = h & mask_;
        for (;; i = (i + 1) & mask_) {
            if (tags_[i] == 0)
                return;
            if (Same(slots_[i], key, h))
                break;
        }
        for (std::size_t j = (i + 1) & mask_; tags_[j] != 0; j = (j + 1) & mask_) {
            const std::size_t home = slots_[j].hash & mask_;
            if (((j - home) & mask_) >= ((j - i) & mask_)) {
                tags_[i] = tags_[j];
                slots_[i] = slots_[j];
                cold_[i] = cold_[j];
                i = j;
            }
        }
        tags_[i] = 0;
        slots_[i] = FlatSlot{};
        cold_[i] = ColdSlot{};
        --count_;
    }
    void RefreshMirror() {
        if (mask_ != 0)
            for (std::size_t j = 0; j < kGroup; ++j) // a group read never wraps
                tags_[mask_ + 1 + j] = tags_[(mask_ + 1 + j) & mask_];
    }

    // The slot of `name` (hash: StringHash{}(name)), or nullptr. The probe reads 8 tag bytes
    // at once (SWAR, in the manner of SwissTable's groups) and the 64-byte slot only where a
    // tag matches: a miss is decided by one word of tags (inline in the index for small
    // tables), with no per-slot branch to mispredict.
    const FlatSlot* Find(std::string_view name, std::size_t hash) const {
        if (mask_ == 0) [[unlikely]]
            return nullptr;
        constexpr std::uint64_t kOnes = 0x0101010101010101u;
        constexpr std::uint64_t kHighs = 0x8080808080808080u;
        const std::uint64_t pattern = kOnes * Tag(hash);
        for (std::size_t i = hash & mask_;; i = (i + kGroup) & mask_) {
            std::uint64_t w;
            std::memcpy(&w, tags_ + i, sizeof w);      // byte k is slot (i + k) & mask_
            const std::uint64_t empties = ~w & kHighs; // occupied tags have the top bit set
            const std::uint64_t x = w ^ pattern;
            // A byte of x is 0 where the tag matches. The borrow may also flag the byte above a
            // match: every candidate is checked against the slot's hash and key.
            std::uint64_t matches = (x - kOnes) & ~x & kHighs;
            if (empties != 0)
                matches &= empties ^ (empties - 1); // candidates before the first empty slot
            while (matches != 0) {
                const std::size_t at =
                    (i + static_cast<std::size_t>(std::countr_zero(matches) >> 3)) & mask_;
                const FlatSlot& f = slots_[at];
                if (Same(f, name, hash))
                    return &f;
                matches &= matches - 1;
            }
            if (empties != 0)
                return nullptr;
        }
    }
    const ColdSlot& Cold(const FlatSlot* f) const {
        return cold_[static_cast<std::size_t>(f - slots_.data())];
    }

private:
    // Occupied tags have the top bit set; 0 is an empty slot. Bits 48..54 of the hash: the
    // top 8 pick the shard and the low ones the home slot.
    static std::uint8_t Tag(std::size_t hash) {
        return static_cast<std::uint8_t>(0x80u | ((hash >> 48) & 0x7fu));
    }
    static constexpr std::size_t kGroup = 8; // tag bytes read at once
    // At most half full: measured against 7/8 (SwissTable's bound), half full makes a
    // 100,000-name hit 56 ns, not 76-90, and a miss 23 ns, not 33 (longer runs mean more tag
    // matches to check and more groups to read).
    static std::size_t SizeFor(std::size_t count) { return std::bit_ceil(count * 2); }
    static bool Same(const FlatSlot& f, std::string_view name, std::size_t hash) {
        return f.hash == hash && f.length == name.size() &&
               SameBytes(f.length <= kInlineKey ? f.key : f.longKey, name.data(), name.size());
    }
    void Fill(std::size_t i, std::size_t h, const std::string& key, const NameSlot& slot) {
        tags_[i] = Tag(h);
        auto& f = slots_[i];
        f = FlatSlot{};
        f.hash = h;
        f.bestImpl = slot.bestImpl;
        f.length = static_cast<std::uint32_t>(key.size());
        f.nameId = slot.nameId;
        f.plainHit = slot.best && !slot.alias && !slot.bestDeprecated;
        if (key.size() <= kInlineKey)
            std::char_traits<char>::copy(f.key, key.data(), key.size());
        else
            f.longKey = key.data();
        cold_[i] = ColdSlot{&slot, slot.best};
    }
    void Reset(std::size_t size) {
        count_ = 0;
        slots_.assign(size, FlatSlot{});
        cold_.assign(size, ColdSlot{});
        mask_ = size == 0 ? 0 : size - 1;
        // size tags, then kGroup mirrored ones (slot j & mask_) so a group read never wraps.
        if (size + kGroup <= inlineTags_.size()) {
            inlineTags_.fill(0);
            tagStore_.clear();
            tags_ = inlineTags_.data();
        } else {
            tagStore_.assign(size + kGroup, 0);
            tags_ = tagStore_.data();
        }
    }

    // Hot members first: a probe of a small table (up to 32 slots) reads this line and
    // nothing else on a miss.
    std::uint8_t* tags_ = inlineTags_.data();
    std::size_t mask_ = 0;
    std::array<std::uint8_t, 32 + kGroup> inlineTags_{};
    std::vector<FlatSlot> slots_;
    std::vector<ColdSlot> cold_;
    std::vector<std::uint8_t> tagStore_;
    std::size_t count_ = 0; // names indexed
};

// A layer is split into 256 shards by name hash, and each shard's names into 16 parts: a
// write copies one part (1/4096 of the names: 24 at 100,000 entries) and re-indexes its
// shard (1/256), not the whole layer, and readers keep the other shards warm in cache. Parts
// are shared between the layers that did not write them.
inline constexpr std::size_t kShards = 256;
inline constexpr std::size_t kShardParts = 16;
// The top 8 bits pick the shard and bits 44..47 its part (below the flat index's tag, bits
// 48..54); the flat index probes with the low bits.
inline std::size_t ShardOf(std::size_t hash) {
    return hash >> 56;
}
inline std::size_t PartOf(std::size_t hash) {
    return (hash >> 44) & (kShardParts - 1);
}
static_assert(kShards == 256, "ShardOf takes 8 bits");
static_assert(kShardParts <= 16, "Shard::dirtyParts is 16 bits");

struct alignas(64) Shard {
    FlatIndex index; // first: its hot members share the shard's first cache line
    std::array<std::shared_ptr<NameTable>, kShardParts> parts; // never null
    std::uint16_t dirtyParts = 0; // parts copied by an unpublished layer, until Seal

    Shard() {
        static const auto empty = std::make_shared<NameTable>(); // never written: copied first
        parts.fill(empty);
    }
    // A copy to write to: shares every part; its index is updated in place at Seal.
    Shard(const Shard& o)
        : parts(o.parts) {
        index.CopyFrom(o.index);
    }
    Shard& operator=(const Shard&) = delete;

    const NameTable& Part(std::size_t hash) const { return *parts[PartOf(hash)]; }
    template <typename F>
    void ForEach(F&& f) const {
        for (const auto& part : parts)
            for (const auto& [name, slot] : *part)
                f(name, slot);
    }
};

struct Layer {
    std::array<std::shared_ptr<Shard>, kShards> shards; // never null; sealed ones never change
    std::size_t entries = 0;
    std::size_t aliases = 0;

    Layer() {
        static const auto empty = std::make_shared<Shard>();
        shards.fill(empty);
    }
    Layer(const Layer& o)
        : shards(o.shards)
        , entries(o.entries)
        , aliases(o.aliases) {}
    Layer& operator=(const Layer&) = delete;

    // The writable table of `name`'s part: the first write in this (unpublished) layer
    // copies the shard's header and that part.
    NameTable& Names(std::string_view name) {
        const std::size_t hash = StringHash{}(name);
        const auto i = ShardOf(hash);
        if (!dirty_[i]) {
            shards[i] = std::make_shared<Shard>(*shards[i]);
            dirty_[i] = true;
        }
        Shard& shard = *shards[i];
        const auto p = PartOf(hash);
        if (!(shard.dirtyParts & (1u << p))) {
            replaced_.push_back({static_cast<std::uint16_t>(i * kShardParts + p), shard.parts[p]});
            shard.parts[p] = std::make_shared<NameTable>(*shard.parts[p]);
            shard.dirtyParts = static_cast<std::uint16_t>(shard.dirtyParts | (1u << p));
        }
        return *shard.parts[p];
    }
    // Re-indexes the shards written to; the layer is read-only afterwards. A shard's index
    // is updated in place for the names of the parts written (the copy of a 1,024-slot index
    // is one memcpy; rebuilding it walked 390 cold nodes at 100,000 entries), and built
    // again only when it would pass half full.
    void Seal() {
        for (std::size_t i = 0; i < kShards; ++i) {
            if (!dirty_[i])
                continue;
            Shard& shard = *shards[i];
            std::size_t count = 0;
            for (std::size_t p = 0; p < kShardParts; ++p) {
                count += shard.parts[p]->size();
                if (shard.dirtyParts & (1u << p))
                    for (auto& [name, slot] : *shard.parts[p])
                        slot.Recompute();
            }
            if (!shard.index.Fits(count)) {
                shard.index.Build(shard.parts);
                continue;
            }
            // Every removal before any upsert: the index never holds more than the final
            // count, which Fits keeps below its size (a probe always ends at an empty slot).
            for (const auto& [at, old] : replaced_)
                if (at / kShardParts == i) {
                    const NameTable& now = *shard.parts[at % kShardParts];
                    for (const auto& [name, slot] : *old)
                        if (!now.contains(name))
                            shard.index.Remove(name);
                }
            for (const auto& [at, old] : replaced_)
                if (at / kShardParts == i)
                    for (const auto& [name, slot] : *shard.parts[at % kShardParts])
                        shard.index.Upsert(name, slot);
            shard.index.RefreshMirror();
        }
        for (std::size_t i = 0; i < kShards; ++i)
            if (dirty_[i]) {
                shards[i]->dirtyParts = 0;
                dirty_[i] = false;
            }
        replaced_.clear(); // the old parts: nothing in the indexes points into them now
    }
    const NameSlot* Find(std::string_view name) const {
        const std::size_t hash = StringHash{}(name);
        const auto& names = shards[ShardOf(hash)]->Part(hash);
        auto it = names.find(name);
        return it == names.end() ? nullptr : &it->second;
    }
    bool Empty() const { return entries == 0 && aliases == 0; }
    template <typename F>
    void ForEach(F&& f) const {
        for (const auto& shard : shards)
            shard->ForEach(f);
    }

private:
    std::array<bool, kShards> dirty_{};
    // Until Seal: (shard * kShardParts + part, the part it replaced), in write order.
    std::vector<std::pair<std::uint16_t, std::shared_ptr<NameTable>>> replaced_;
};

struct Snapshot {
    std::uint64_t generation = 0;
    std::shared_ptr<const Layer> global = std::make_shared<Layer>();
    std::unordered_map<std::string, std::shared_ptr<const Layer>, StringHash, std::equal_to<>>
        tenants;
    std::size_t entries = 0;
    std::size_t aliases = 0;

    const Layer* Tenant(std::string_view tenant) const {
        if (tenant.empty())
            return global.get();
        auto it = tenants.find(tenant);
        return it == tenants.end() ? nullptr : it->second.get();
    }
};

} // namespace regscope::registry::detail
