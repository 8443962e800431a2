#include "models/registry/RegistryInternal.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace regscope::registry {

namespace {

using detail::kMaxNameLength;
using detail::Layer;
using detail::NameSlot;
using detail::Record;
using detail::ValidateName;
using Snap = detail::Snapshot;

constinit thread_local std::uint64_t tlsFastId = 0;
constinit thread_local detail::ReaderSlot* tlsFastSlot = nullptr;

// The lookup-path check (ValidateName below says why a name fails). Eight bytes at a time:
// a word has a byte below 0x21 iff ((w - 0x21..21) & ~w & 0x80..80) != 0, and a byte equal
// to 0x7f iff the same test for "below 1" holds on w ^ 0x7f..7f (bytes >= 0x80, UTF-8, pass).
bool ValidName(std::string_view name) {
    const std::size_t n = name.size();
    if (n == 0 || n > kMaxNameLength)
        return false;
    const char* p = name.data();
    if (n < 8) {
        for (std::size_t i = 0; i < n; ++i) {
            const auto c = static_cast<unsigned char>(p[i]);
            if (c <= 0x20 || c == 0x7f)
                return false;
        }
        return true;
    }
    constexpr std::uint64_t kOnes = 0x0101010101010101u;
    constexpr std::uint64_t kHighs = 0x8080808080808080u;
    auto badBytes = [&](std::size_t at) {
        std::uint64_t w;
        std::memcpy(&w, p + at, sizeof w);
        const std::uint64_t del = w ^ (kOnes * 0x7f);
        return ((w - kOnes * 0x21) & ~w) | ((del - kOnes) & ~del);
    };
    std::uint64_t bad = badBytes(n - 8); // the last word, overlapping: no byte-wise tail
    for (std::size_t i = 0; i + 8 < n; i += 8)
        bad |= badBytes(i);
    return (bad & kHighs) == 0;
}

const Record* Pick(const NameSlot& slot, const Constraint* constraint) {
    if (!constraint)
        return slot.best;
    for (const auto& r : slot.versions) // descending: the first match is the highest
        if (constraint->Matches(r->version))
            return r.get();
    return nullptr;
}

} // namespace

namespace detail {
void ResetFastSlotCache() {
    tlsFastId = 0;
    tlsFastSlot = nullptr;
}
} // namespace detail

// ---------------------------------------------------------------------------------------------
// Reading

detail::ReaderSlot* RegistryCore::ThisThreadSlot() const {
    if (tlsFastId == id_) [[likely]]
        return tlsFastSlot;
    auto* slot = detail::AcquireSlot(id_, shared_->dir);
    tlsFastId = id_;
    tlsFastSlot = slot;
    return slot;
}

std::expected<RawHandle, Error> RegistryCore::LookupRaw(const Context& ctx,
                                                        std::string_view name) const {
    return LookupImpl(ctx, name, nullptr);
}

std::expected<RawHandle, Error> RegistryCore::LookupRaw(const Context& ctx, std::string_view name,
                                                        const Constraint& constraint) const {
    return LookupImpl(ctx, name, constraint.MatchesAny() ? nullptr : &constraint);
}

std::expected<RawHandle, Error> RegistryCore::LookupRaw(const Context& ctx, std::string_view name,
                                                        std::string_view constraint) const {
    auto parsed = Constraint::Parse(constraint);
    if (!parsed) {
        detail::Bump(ThisThreadSlot()->errors);
        return std::unexpected(std::move(parsed.error()));
    }
    return LookupRaw(ctx, name, *parsed);
}

std::expected<RawHandle, Error> RegistryCore::LookupImpl(const Context& ctx, std::string_view name,
                                                         const Constraint* constraint) const {
    // ThisThreadSlot's fast path, inlined here: a call per lookup was 2% of a miss.
    detail::ReaderSlot* slot = tlsFastId == id_ ? tlsFastSlot : ThisThreadSlot();
    // Declared first, destroyed last: dropping an old snapshot may run implementation
    // destructors that read this registry again, so it happens after we are done with the slot.
    std::shared_ptr<const Snap> released;
    if (slot->seenGeneration != generation_.load(std::memory_order_acquire)) [[unlikely]]
        released = detail::InstallSnapshot(*slot, shared_->Current());

    // Times the lookup when sampled, on every return path, after the result is built (the
    // result is constructed in place: no extra move of a handle or an error).
    struct LatencySample {
        detail::ReaderSlot* slot;
        bool timed;
        std::chrono::steady_clock::time_point t0{};
        ~LatencySample() {
            if (timed) [[unlikely]]
                slot->CountLatency(
                    static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                   std::chrono::steady_clock::now() - t0)
                                                   .count()));
        }
    } sample{slot, slot->sampleEvery != 0 && --slot->sampleCountdown == 0};
    if (sample.timed) [[unlikely]] {
        slot->sampleCountdown = slot->sampleEvery;
        sample.t0 = std::chrono::steady_clock::now();
    }

    const Snap& snap = *slot->snap;
    const Layer* tenant = nullptr;
    if (!ctx.tenant.empty()) {
        auto it = snap.tenants.find(ctx.tenant);
        if (it != snap.tenants.end())
            tenant = it->second.get();
    }
    const std::size_t hash = detail::StringHash{}(name);
    const std::size_t shard = detail::ShardOf(hash);
    const detail::FlatIndex* tIndex = tenant ? &tenant->shards[shard]->index : nullptr;
    const detail::FlatIndex& gIndex = snap.global->shards[shard]->index;
    const detail::FlatSlot* inTenant = tIndex ? tIndex->Find(name, hash) : nullptr;
    const detail::FlatSlot* fast = inTenant ? inTenant : gIndex.Find(name, hash);

    // The common case: an unconstrained hit on a plain registration. Touches the flat slot,
    // the key bytes and this thread's counters, nothing shared and writable.
    if (fast && !constraint && fast->plainHit) [[likely]] {
        slot->CountHit(fast->nameId);
        // The Handle reads its record lazily (through the cold slot): no extra line touched here.
        const detail::ColdSlot& cold = (inTenant ? *tIndex : gIndex).Cold(fast);
        return std::expected<RawHandle, Error>(
            RawHandle(slot->block, &cold.best, fast->bestImpl, false));
    }

    if (!fast) {
        // A name in this thread's most-missed table was valid when it got there: a repeated
        // miss skips the name check.
        if (!slot->CountTrackedMiss(name, hash)) {
            if (!ValidName(name)) [[unlikely]] {
                detail::Bump(slot->errors);
                return std::expected<RawHandle, Error>(std::unexpect,
                                                       std::move(ValidateName(name).error()));
            }
            slot->CountUntrackedMiss(name, hash);
        }
        // The hot miss carries its code only: Registry<T>::Wrap writes the message straight
        // into the caller's result (moving a string here costs a memcpy call per miss).
        return std::expected<RawHandle, Error>(std::unexpect, ErrorCode::NotFound);
    }
    const NameSlot* first = (inTenant ? *tIndex : gIndex).Cold(fast).slot;
    const NameSlot* inGlobal = inTenant ? nullptr : first;

    const detail::AliasRecord* alias = first->alias.get();
    const Record* record = nullptr;
    bool nameExists = false;
    if (alias) {
        // Aliases do not chain: the target resolves to registrations only, tenant first.
        const NameSlot* t = tenant ? tenant->Find(alias->target) : nullptr;
        const NameSlot* g = snap.global->Find(alias->target);
        if (t && !t->alias) {
            nameExists = true;
            record = Pick(*t, constraint);
        }
        if (!record && g && !g->alias) {
            nameExists = true;
            record = Pick(*g, constraint);
        }
    } else {
        nameExists = true;
        record = Pick(*first, constraint);
        if (!record && inTenant) { // tenant has the name but no matching version: fall back
            if (!inGlobal)
                inGlobal = snap.global->Find(name);
            if (inGlobal && !inGlobal->alias)
                record = Pick(*inGlobal, constraint);
        }
    }
    if (!record) {
        slot->CountMiss(name, hash);
        return std::expected<RawHandle, Error>(
            std::unexpect,
            nameExists
                ? Error{ErrorCode::NoMatchingVersion,
                        "no version of '" + std::string(name) + "' satisfies '" +
                            (constraint ? constraint->Text() : std::string("*")) + "'"}
                : Error{ErrorCode::NotFound, "alias '" + std::string(name) + "' points at '" +
                                                 alias->target + "', which is not registered"});
    }
    slot->CountHit(record->nameId);
    if (alias || record->info.deprecated)
        NoteDeprecatedUse(ctx, name, *record, alias != nullptr,
                          alias ? std::string_view(alias->message) : std::string_view(),
                          alias ? std::string_view(alias->removeAfter) : std::string_view());
    return std::expected<RawHandle, Error>(
        RawHandle(slot->block, record, record->impl.get(), alias != nullptr));
}

void RegistryCore::NoteDeprecatedUse(const Context& ctx, std::string_view lookedUp,
                                     const Record& record, bool viaAlias,
                                     std::string_view aliasMessage,
                                     std::string_view aliasRemoveAfter) const {
    auto& s = *shared_;
    {
        std::lock_guard lock(s.metricsMutex);
        ++s.deprecatedTotal[std::string(lookedUp)];
    }
    ChangeEvent e =
        detail::EventFor(ChangeKind::DeprecatedLookup, record, s.options.typeName, Now());
    e.tenant = ctx.tenant;
    if (viaAlias) {
        e.name = std::string(lookedUp);
        e.aliasOf = record.name;
        e.deprecated = true;
        e.deprecationMessage = std::string(aliasMessage);
        e.removeAfter = std::string(aliasRemoveAfter);
    }
    e.action = AuditAction::DeprecatedLookup;
    AuditRecord a = detail::AuditFor(AuditAction::DeprecatedLookup, e);
    a.outcome = "warning";
    s.audit->Record(a);
    s.Notify(e);
}

void RegistryCore::ReleaseThreadCache() {
    if (auto* slot = detail::FindSlot(id_))
        detail::InstallSnapshot(*slot, nullptr).reset();
    ReclaimRetired();
}

std::vector<std::string> RegistryCore::Names(const Context& ctx) const {
    const auto snap = shared_->Current();
    std::set<std::string> names;
    auto add = [&](const Layer* l) {
        if (l)
            l->ForEach([&](const std::string& name, const NameSlot& slot) {
                if (!slot.alias)
                    names.insert(name);
            });
    };
    add(snap->global.get());
    if (!ctx.tenant.empty())
        add(snap->Tenant(ctx.tenant));
    return {names.begin(), names.end()};
}

bool RegistryCore::Contains(const Context& ctx, std::string_view name) const {
    const auto snap = shared_->Current();
    const Layer* t = ctx.tenant.empty() ? nullptr : snap->Tenant(ctx.tenant);
    return (t && t->Find(name)) || snap->global->Find(name);
}

std::vector<std::string> RegistryCore::Collisions(const Context& ctx,
                                                  std::span<const std::string> names) const {
    const auto snap = shared_->Current();
    const Layer* t = ctx.tenant.empty() ? nullptr : snap->Tenant(ctx.tenant);
    std::vector<std::string> out;
    for (const auto& n : names)
        if ((t && t->Find(n)) || snap->global->Find(n))
            out.push_back(n);
    return out;
}

std::vector<SnapshotEntry> RegistryCore::Snapshot() const {
    return SnapshotWithGeneration().entries;
}

GenerationSnapshot RegistryCore::SnapshotWithGeneration(bool sorted) const {
    const auto snap = shared_->Current();
    GenerationSnapshot result;
    result.generation = snap->generation;
    auto& out = result.entries;
    out.reserve(snap->entries + snap->aliases);
    auto add = [&](const Layer& layer) {
        layer.ForEach([&](const std::string&, const NameSlot& slot) {
            if (slot.alias) {
                const auto& a = *slot.alias;
                SnapshotEntry e;
                e.tenant = a.tenant;
                e.name = a.alias;
                e.type = shared_->options.typeName;
                e.registeredAt = a.createdAt;
                e.aliasOf = a.target;
                e.deprecated = true;
                e.deprecationMessage = a.message;
                e.removeAfter = a.removeAfter;
                out.push_back(std::move(e));
                return;
            }
            for (const auto& r : slot.versions)
                out.push_back(SnapshotEntry{r->tenant,
                                            r->name,
                                            r->versionText,
                                            shared_->options.typeName,
                                            r->info.kind,
                                            r->info.description,
                                            r->info.origin,
                                            r->registeredAt,
                                            {},
                                            r->info.deprecated,
                                            r->info.deprecationMessage,
                                            r->info.removeAfter,
                                            r->info.registeredBy});
        });
    };
    add(*snap->global);
    for (const auto& [tenant, layer] : snap->tenants)
        add(*layer);
    if (!sorted)
        return result;
    std::ranges::sort(out, [](const SnapshotEntry& a, const SnapshotEntry& b) {
        if (a.tenant != b.tenant)
            return a.tenant < b.tenant;
        if (a.name != b.name)
            return a.name < b.name;
        auto va = Version::Parse(a.version);
        auto vb = Version::Parse(b.version);
        if (va && vb)
            return *vb < *va;
        return a.version > b.version;
    });
    return result;
}

} // namespace regscope::registry
