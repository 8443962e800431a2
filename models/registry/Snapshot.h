#pragma once
// Internal: the immutable state readers see. A writer copies what it changes (one tenant's
// layer at a time), never what it does not, and publishes a new Snapshot.

#include "models/registry/MissSketch.h"
#include "models/registry/RegistryCore.h"

#include <bit>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
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
// sealed (layers never change after publication). One probe touches one 64-byte slot that
// holds everything an unconstrained hit needs, plus the key's bytes; a std::unordered_map
// touches its bucket array, the node and the key.
struct alignas(64) FlatSlot {
    std::size_t hash = 0;
    const char* key = nullptr; // the NameTable key's bytes (stable: nodes never move)
    std::uint32_t length = 0;
    std::uint32_t nameId = kNoNameId;
    bool plainHit = false; // has a version, is no alias, best is not deprecated
    void* bestImpl = nullptr;
    const Record* best = nullptr;
    const NameSlot* slot = nullptr; // nullptr: empty table slot
};

class FlatIndex {
public:
    FlatIndex() = default;
    // Never copied: the pointers belong to one NameTable. A copied layer is re-sealed.
    FlatIndex(const FlatIndex&) {}
    FlatIndex& operator=(const FlatIndex&) {
        slots_.clear();
        mask_ = 0;
        return *this;
    }

    void Build(const NameTable& names) {
        slots_.assign(names.empty() ? 0 : std::bit_ceil(names.size() * 2), FlatSlot{});
        mask_ = slots_.empty() ? 0 : slots_.size() - 1;
        for (const auto& [key, slot] : names) {
            const std::size_t h = StringHash{}(key);
            std::size_t i = h & mask_;
            while (slots_[i].slot)
                i = (i + 1) & mask_;
            auto& f = slots_[i];
            f.hash = h;
            f.key = key.data();
            f.length = static_cast<std::uint32_t>(key.size());
            f.nameId = slot.nameId;
            f.plainHit = slot.best && !slot.alias && !slot.bestDeprecated;
            f.bestImpl = slot.bestImpl;
            f.best = slot.best;
            f.slot = &slot;
        }
    }

    const FlatSlot* Find(std::string_view name, std::size_t hash) const {
        if (slots_.empty()) [[unlikely]]
            return nullptr;
        for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
            const FlatSlot& f = slots_[i];
            if (!f.slot)
                return nullptr;
            if (f.hash == hash && f.length == name.size() &&
                std::char_traits<char>::compare(f.key, name.data(), name.size()) == 0)
                return &f;
        }
    }

private:
    std::vector<FlatSlot> slots_;
    std::size_t mask_ = 0;
};

struct Layer {
    NameTable names;
    FlatIndex index; // valid once Seal() ran; empty in a fresh copy
    std::size_t entries = 0;
    std::size_t aliases = 0;

    void Seal() { index.Build(names); }
    const NameSlot* Find(std::string_view name) const {
        auto it = names.find(name);
        return it == names.end() ? nullptr : &it->second;
    }
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
