#include "models/registry/RegistryCore.h"

#include "models/registry/ReaderSlot.h"
#include "models/registry/Snapshot.h"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <set>
#include <unordered_set>

namespace regscope::registry {

namespace detail {

// Writer-side state, observers and metrics that are not per thread.
struct Shared {
    RegistryOptions options;
    std::shared_ptr<AuditSink> audit;
    std::shared_ptr<SlotDirectory> dir = std::make_shared<SlotDirectory>();

    std::mutex writerMutex; // one writer at a time (copy, change, publish)

    // The published snapshot. Readers copy it only after the generation moved (once per
    // change per thread), under a mutex held for a pointer copy; never in steady state.
    // (std::atomic<std::shared_ptr> would do, but GCC 12's is not ThreadSanitizer-clean, and
    // a spin lock burnt the CPU a preempted holder needed on an oversubscribed machine.)
    mutable std::mutex currentLock;
    std::shared_ptr<const Snapshot> current;
    std::shared_ptr<const Snapshot> Current() const {
        std::lock_guard lock(currentLock);
        return current;
    }
    std::shared_ptr<const Snapshot> SetCurrent(std::shared_ptr<const Snapshot> next) {
        std::lock_guard lock(currentLock);
        return std::exchange(current, std::move(next));
    }
    std::mutex notifyMutex; // observer delivery in generation order

    // Snapshots replaced by a write. Readers only ever decrement their reference counts; the
    // writing threads free them (ReclaimRetired), so a reader never pays for a destructor.
    std::mutex retiredMutex;
    std::vector<std::shared_ptr<const Snapshot>> retired;

    mutable std::mutex configMutex; // quotas, name ids
    std::map<std::string, std::size_t> quotas;
    std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> nameIds;
    std::vector<std::string> idNames;

    mutable std::mutex observersMutex;
    std::shared_ptr<const std::vector<std::pair<ObserverId, std::shared_ptr<Observer>>>> observers =
        std::make_shared<std::vector<std::pair<ObserverId, std::shared_ptr<Observer>>>>();
    ObserverId nextObserverId = 1;

    mutable std::mutex metricsMutex;
    std::map<std::string, std::uint64_t> registerTotal;
    std::map<std::string, std::uint64_t> deprecatedTotal;

    std::uint32_t NameId(std::string_view name) {
        std::lock_guard lock(configMutex);
        if (auto it = nameIds.find(name); it != nameIds.end())
            return it->second;
        const auto id = static_cast<std::uint32_t>(idNames.size());
        idNames.emplace_back(name);
        nameIds.emplace(std::string(name), id);
        return id;
    }
    std::size_t QuotaFor(const std::string& tenant) const {
        std::lock_guard lock(configMutex);
        if (auto it = quotas.find(tenant); it != quotas.end())
            return it->second;
        return tenant.empty() ? 0 : options.defaultTenantQuota;
    }
    auto Observers() const {
        std::lock_guard lock(observersMutex);
        return observers;
    }
    void Notify(const ChangeEvent& e) const {
        for (const auto& [id, obs] : *Observers())
            obs->OnChange(e);
    }
    void CountRegister(std::string_view outcome) {
        std::lock_guard lock(metricsMutex);
        ++registerTotal[std::string(outcome)];
    }
};

} // namespace detail

namespace {

using detail::Layer;
using detail::NameSlot;
using detail::Record;
using Snap = detail::Snapshot;

constinit thread_local std::uint64_t tlsFastId = 0;
constinit thread_local detail::ReaderSlot* tlsFastSlot = nullptr;

std::atomic<std::uint64_t> gNextRegistryId{1};

constexpr std::size_t kMaxNameLength = 256;
constexpr std::string_view kNotRegistered = "not registered";

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

std::expected<void, Error> ValidateName(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameLength)
        return std::unexpected(Error{ErrorCode::InvalidName, "name must be 1..256 characters"});
    for (unsigned char c : name)
        if (c <= 0x20 || c == 0x7f)
            return std::unexpected(
                Error{ErrorCode::InvalidName, "name '" + std::string(name) +
                                                  "' contains whitespace or control characters"});
    return {};
}

const Record* Pick(const NameSlot& slot, const Constraint* constraint) {
    if (!constraint)
        return slot.best;
    for (const auto& r : slot.versions) // descending: the first match is the highest
        if (constraint->Matches(r->version))
            return r.get();
    return nullptr;
}

ChangeEvent EventFor(ChangeKind kind, const Record& r, const std::string& typeName,
                     std::chrono::system_clock::time_point now) {
    ChangeEvent e;
    e.kind = kind;
    e.time = now;
    e.tenant = r.tenant;
    e.name = r.name;
    e.version = r.versionText;
    e.type = typeName;
    e.entryKind = r.info.kind;
    e.description = r.info.description;
    e.origin = r.info.origin;
    e.deprecated = r.info.deprecated;
    e.deprecationMessage = r.info.deprecationMessage;
    e.removeAfter = r.info.removeAfter;
    return e;
}

AuditRecord AuditFor(AuditAction action, const ChangeEvent& e) {
    AuditRecord a;
    a.time = e.time;
    a.action = action;
    a.tenant = e.tenant;
    a.name = e.name;
    a.version = e.version;
    a.outcome = e.error ? std::string(ToString(*e.error)) : "ok";
    a.detail = e.error ? e.errorMessage : e.deprecationMessage;
    a.aliasOf = e.aliasOf;
    a.removeAfter = e.removeAfter;
    return a;
}

// A mutable copy of one layer of `base` (shares nothing mutable with it).
std::shared_ptr<Layer> CopyLayer(const Snap& base, const std::string& tenant) {
    if (const Layer* l = base.Tenant(tenant))
        return std::make_shared<Layer>(*l);
    return std::make_shared<Layer>();
}

std::shared_ptr<Snap> WithLayer(const Snap& base, const std::string& tenant,
                                std::shared_ptr<Layer> layer) {
    layer->Seal();
    auto next = std::make_shared<Snap>(base);
    const Layer* before = base.Tenant(tenant);
    next->entries = next->entries - (before ? before->entries : 0) + layer->entries;
    next->aliases = next->aliases - (before ? before->aliases : 0) + layer->aliases;
    if (tenant.empty())
        next->global = std::move(layer);
    else if (layer->Empty())
        next->tenants.erase(tenant);
    else
        next->tenants.insert_or_assign(tenant, std::move(layer));
    next->generation = base.generation + 1;
    return next;
}

} // namespace

namespace detail {
void ResetFastSlotCache() {
    tlsFastId = 0;
    tlsFastSlot = nullptr;
}
} // namespace detail

// ---------------------------------------------------------------------------------------------
// RawHandle

const detail::Record* RawHandle::Rec() const {
    return record_ ? record_ : *recordRef_;
}
const std::string& RawHandle::Name() const {
    return Rec()->name;
}
const std::string& RawHandle::Tenant() const {
    return Rec()->tenant;
}
const Version& RawHandle::GetVersion() const {
    return Rec()->version;
}
std::string RawHandle::VersionText() const {
    return Rec()->versionText;
}
const EntryInfo& RawHandle::Info() const {
    return Rec()->info;
}
std::shared_ptr<void> RawHandle::ShareRaw() const {
    return (record_ || recordRef_) ? Rec()->impl : std::shared_ptr<void>();
}

AccessCheck RequireCapability(std::string capability) {
    return [capability = std::move(capability)](const Context& ctx, std::string_view,
                                                const Version&) { return ctx.Has(capability); };
}

// ---------------------------------------------------------------------------------------------
// Construction

RegistryCore::RegistryCore(RegistryOptions options)
    : id_(gNextRegistryId.fetch_add(1, std::memory_order_relaxed))
    , shared_(std::make_unique<detail::Shared>()) {
    auto& s = *shared_;
    s.options = std::move(options);
    s.audit = s.options.audit ? s.options.audit : std::make_shared<JsonLinesAuditSink>(std::clog);
    s.quotas = s.options.tenantQuotas;
    s.dir->topK = s.options.missTopK;
    s.dir->sampleEvery = s.options.latencySampleEvery;
    s.dir->missSampleEvery = s.options.missSampleEvery;
    auto first = std::make_shared<Snap>();
    first->generation = 1;
    shared_->SetCurrent(std::move(first));
    generation_.store(1, std::memory_order_release);
}

RegistryCore::~RegistryCore() {
    // Threads that read this registry keep their slot (and the snapshot it caches) until
    // they read another registry or exit; from now on they only unlist nothing.
    std::lock_guard lock(shared_->dir->mutex);
    shared_->dir->alive = false;
    shared_->dir->aliveFlag.store(false, std::memory_order_release);
    shared_->dir->slots.clear();
}

const std::string& RegistryCore::TypeName() const {
    return shared_->options.typeName;
}

std::chrono::system_clock::time_point RegistryCore::Now() const {
    return shared_->options.clock ? shared_->options.clock() : std::chrono::system_clock::now();
}

void RegistryCore::SetTenantQuota(const std::string& tenant, std::size_t maxEntries) {
    std::lock_guard lock(shared_->configMutex);
    shared_->quotas[tenant] = maxEntries;
}

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
    detail::ReaderSlot* slot = ThisThreadSlot();
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
        // The hot miss: a short message (fits the string's inline buffer: no allocation),
        // built in place; the caller knows the name.
        return std::expected<RawHandle, Error>(std::unexpect, ErrorCode::NotFound,
                                               std::string(kNotRegistered));
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
    ChangeEvent e = EventFor(ChangeKind::DeprecatedLookup, record, s.options.typeName, Now());
    e.tenant = ctx.tenant;
    if (viaAlias) {
        e.name = std::string(lookedUp);
        e.aliasOf = record.name;
        e.deprecated = true;
        e.deprecationMessage = std::string(aliasMessage);
        e.removeAfter = std::string(aliasRemoveAfter);
    }
    AuditRecord a = AuditFor(AuditAction::DeprecatedLookup, e);
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
    const auto snap = shared_->Current();
    std::vector<SnapshotEntry> out;
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
                                            r->info.removeAfter});
        });
    };
    add(*snap->global);
    for (const auto& [tenant, layer] : snap->tenants)
        add(*layer);
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
    return out;
}

MetricsSnapshot RegistryCore::Metrics() const {
    auto& s = *shared_;
    MetricsSnapshot m;
    {
        const auto snap = shared_->Current();
        m.entries = snap->entries;
        m.aliases = snap->aliases;
        m.generation = snap->generation;
    }
    m.latencySampleEvery = s.options.latencySampleEvery;
    m.missTopK = s.options.missTopK;
    m.missSampleEvery = s.options.missSampleEvery;
    for (auto ns : detail::kLatencyBoundsNs)
        m.latency.boundsSeconds.push_back(static_cast<double>(ns) * 1e-9);
    m.latency.counts.assign(detail::kLatencyBoundsNs.size() + 1, 0);

    std::unordered_map<std::uint32_t, std::uint64_t> hits;
    std::unordered_map<std::string, NameCount, detail::StringHash, std::equal_to<>> misses;
    std::uint64_t sumNs = 0;
    {
        auto& dir = *s.dir;
        std::lock_guard lock(dir.mutex);
        const auto& r = dir.retired;
        m.lookupHit = r.hits;
        m.lookupMiss = r.misses;
        m.lookupError = r.errors;
        m.latency.count = r.latencyCount;
        sumNs = r.latencySumNs;
        for (std::size_t i = 0; i < r.latency.size(); ++i)
            m.latency.counts[i] = r.latency[i];
        hits = r.nameHits;
        misses = r.missNames;
        auto load = [](const detail::Counter& c) { return c.load(std::memory_order_relaxed); };
        for (detail::ReaderSlot* slot : dir.slots) {
            m.lookupHit += load(slot->hits);
            m.lookupMiss += load(slot->misses);
            m.lookupError += load(slot->errors);
            m.latency.count += load(slot->latencyCount);
            sumNs += load(slot->latencySumNs);
            for (std::size_t i = 0; i < slot->latency.size(); ++i)
                m.latency.counts[i] += load(slot->latency[i]);
            for (std::size_t c = 0; c < detail::kNameChunks; ++c)
                if (auto* chunk = slot->nameHits[c].load(std::memory_order_acquire))
                    for (std::size_t i = 0; i < detail::kNameChunk; ++i)
                        if (auto n = load(chunk[i]))
                            hits[static_cast<std::uint32_t>(c * detail::kNameChunk + i)] += n;
            std::lock_guard missLock(slot->missMutex);
            slot->missSketch.MergeInto(misses);
        }
    }
    m.latency.sumSeconds = static_cast<double>(sumNs) * 1e-9;
    {
        std::lock_guard lock(s.configMutex);
        for (const auto& [id, n] : hits)
            if (id < s.idNames.size())
                m.hitsByName.push_back({s.idNames[id], n, 0});
    }
    auto byCount = [](const NameCount& a, const NameCount& b) {
        return a.count != b.count ? a.count > b.count : a.name < b.name;
    };
    std::ranges::sort(m.hitsByName, byCount);
    for (auto& [name, nc] : misses)
        m.topMisses.push_back(std::move(nc));
    std::ranges::sort(m.topMisses, byCount);
    if (m.topMisses.size() > m.missTopK)
        m.topMisses.resize(m.missTopK);
    {
        std::lock_guard lock(s.metricsMutex);
        m.registerTotal = s.registerTotal;
        m.deprecatedLookupTotal = s.deprecatedTotal;
    }
    return m;
}

// ---------------------------------------------------------------------------------------------
// Observers

ObserverId RegistryCore::AddObserver(std::shared_ptr<Observer> observer) {
    auto& s = *shared_;
    std::lock_guard lock(s.observersMutex);
    auto next = std::make_shared<std::vector<std::pair<ObserverId, std::shared_ptr<Observer>>>>(
        *s.observers);
    const ObserverId id = s.nextObserverId++;
    if (observer)
        next->emplace_back(id, std::move(observer));
    s.observers = std::move(next);
    return id;
}

void RegistryCore::RemoveObserver(ObserverId id) {
    auto& s = *shared_;
    std::shared_ptr<const std::vector<std::pair<ObserverId, std::shared_ptr<Observer>>>> old;
    std::lock_guard lock(s.observersMutex);
    auto next = std::make_shared<std::vector<std::pair<ObserverId, std::shared_ptr<Observer>>>>(
        *s.observers);
    std::erase_if(*next, [id](const auto& p) { return p.first == id; });
    old = std::exchange(s.observers, std::move(next));
}

// ---------------------------------------------------------------------------------------------
// Writing

void RegistryCore::Reject(const Context& ctx, AuditAction action, std::string_view name,
                          std::string_view version, const Error& error) {
    auto& s = *shared_;
    if (action == AuditAction::Register)
        s.CountRegister(ToString(error.code));
    ChangeEvent e;
    e.kind = ChangeKind::Rejected;
    e.time = Now();
    e.tenant = ctx.tenant;
    e.name = std::string(name);
    e.version = std::string(version);
    e.type = s.options.typeName;
    e.error = error.code;
    e.errorMessage = error.message;
    s.audit->Record(AuditFor(action, e));
    std::lock_guard lock(s.notifyMutex);
    s.Notify(e);
}

void RegistryCore::Publish(std::shared_ptr<const Snap> base, std::shared_ptr<const Snap> next,
                           std::unique_lock<std::mutex>& writerLock,
                           const std::vector<ChangeEvent>& events) {
    auto& s = *shared_;
    const auto generation = next->generation;
    {
        auto previous = s.SetCurrent(std::move(next));
        generation_.store(generation, std::memory_order_release);
        std::lock_guard lock(s.retiredMutex);
        s.retired.push_back(std::move(previous));
    }
    base.reset(); // the retired list holds it now
    // Take the notification lock before letting the next writer in: events leave in
    // generation order, and no writer waits for observers while holding the writer lock.
    std::unique_lock notifyLock(s.notifyMutex);
    writerLock.unlock();
    for (auto e : events) {
        e.generation = generation;
        AuditAction action = AuditAction::Register;
        switch (e.kind) {
        case ChangeKind::Registered:
            action = AuditAction::Register;
            break;
        case ChangeKind::Deregistered:
            action = AuditAction::Deregister;
            break;
        case ChangeKind::AliasAdded:
            action = AuditAction::AliasAdd;
            break;
        case ChangeKind::AliasRemoved:
            action = AuditAction::AliasRemove;
            break;
        case ChangeKind::Reloaded:
            action = AuditAction::Reload;
            break;
        case ChangeKind::DeprecatedLookup:
        case ChangeKind::Rejected:
            break;
        }
        s.audit->Record(AuditFor(action, e));
        s.Notify(e);
    }
    notifyLock.unlock();
    // A writer that also reads moves its own cache on at once, so single-threaded users see
    // old implementations released when the write returns.
    if (auto* slot = detail::FindSlot(id_); slot && slot->block->pins == 0)
        detail::InstallSnapshot(*slot, shared_->Current()).reset();
    ReclaimRetired();
}

std::size_t RegistryCore::ReclaimRetired() {
    auto& s = *shared_;
    std::vector<std::shared_ptr<const Snap>> dead;
    {
        std::lock_guard lock(s.retiredMutex);
        // A retired snapshot can gain no new reference (it is no longer current), so a use
        // count of 1 means only this list holds it: nobody can be reading it.
        auto keep = std::partition(s.retired.begin(), s.retired.end(),
                                   [](const auto& p) { return p.use_count() > 1; });
        std::move(keep, s.retired.end(), std::back_inserter(dead));
        s.retired.erase(keep, s.retired.end());
    }
    const auto n = dead.size();
    dead.clear(); // outside every lock: old implementations' destructors may use the registry
    return n;
}

std::expected<void, Error> RegistryCore::RegisterRaw(const Context& ctx, std::string_view name,
                                                     std::string_view version,
                                                     std::shared_ptr<void> impl, EntryInfo info) {
    auto& s = *shared_;
    auto fail = [&](Error e) -> std::expected<void, Error> {
        Reject(ctx, AuditAction::Register, name, version, e);
        return std::unexpected(std::move(e));
    };
    if (auto ok = ValidateName(name); !ok)
        return fail(std::move(ok.error()));
    auto parsed = Version::Parse(version);
    if (!parsed)
        return fail(std::move(parsed.error()));
    if (!impl)
        return fail(Error{ErrorCode::NullImplementation,
                          "'" + std::string(name) + "' registered without an implementation"});
    if (s.options.accessCheck && !s.options.accessCheck(ctx, name, *parsed))
        return fail(Error{ErrorCode::PermissionDenied,
                          "not allowed to register '" + std::string(name) + "'"});
    const auto quota = s.QuotaFor(ctx.tenant);

    auto record = std::make_shared<Record>();
    record->tenant = ctx.tenant;
    record->name = std::string(name);
    record->version = std::move(*parsed);
    record->versionText = record->version.ToString();
    record->info = std::move(info);
    record->registeredAt = Now();
    record->impl = std::move(impl);
    record->nameId = s.NameId(name);
    const auto event =
        EventFor(ChangeKind::Registered, *record, s.options.typeName, record->registeredAt);

    std::unique_lock lock(s.writerMutex);
    auto base = shared_->Current(); // handed to Publish, which retires it
    const Layer* layer = base->Tenant(ctx.tenant);
    if (layer) {
        if (const NameSlot* existing = layer->Find(name)) {
            if (existing->alias) {
                lock.unlock();
                return fail(
                    Error{ErrorCode::AliasConflict, "'" + std::string(name) + "' is an alias"});
            }
            for (const auto& r : existing->versions)
                if (r->version == record->version) {
                    lock.unlock();
                    return fail(Error{ErrorCode::Duplicate, "'" + std::string(name) + "' " +
                                                                record->versionText +
                                                                " is already registered"});
                }
        }
        if (quota != 0 && layer->entries >= quota) {
            lock.unlock();
            return fail(Error{ErrorCode::QuotaExceeded, "tenant '" + ctx.tenant +
                                                            "' is at its quota of " +
                                                            std::to_string(quota) + " entries"});
        }
    }
    auto next = CopyLayer(*base, ctx.tenant);
    auto& slot = next->Names(name)[std::string(name)];
    auto pos = std::ranges::find_if(slot.versions,
                                    [&](const auto& r) { return r->version < record->version; });
    slot.versions.insert(pos, std::move(record));
    slot.Recompute();
    ++next->entries;
    auto published = WithLayer(*base, ctx.tenant, std::move(next));
    Publish(std::move(base), std::move(published), lock, {event});
    s.CountRegister("ok");
    return {};
}

std::expected<void, Error> RegistryCore::Deregister(const Context& ctx, std::string_view name,
                                                    std::string_view version) {
    auto fail = [&](Error e) -> std::expected<void, Error> {
        Reject(ctx, AuditAction::Deregister, name, version, e);
        return std::unexpected(std::move(e));
    };
    auto parsed = Version::Parse(version);
    if (!parsed)
        return fail(std::move(parsed.error()));
    std::unique_lock lock(shared_->writerMutex);
    auto base = shared_->Current();
    const Layer* layer = base->Tenant(ctx.tenant);
    const NameSlot* existing = layer ? layer->Find(name) : nullptr;
    if (!existing || existing->alias ||
        std::ranges::none_of(existing->versions,
                             [&](const auto& r) { return r->version == *parsed; })) {
        lock.unlock();
        return fail(Error{ErrorCode::NotFound, "'" + std::string(name) + "' " +
                                                   std::string(version) + " is not registered"});
    }
    auto next = CopyLayer(*base, ctx.tenant);
    auto& names = next->Names(name);
    auto it = names.find(name);
    auto& versions = it->second.versions;
    auto victim =
        std::ranges::find_if(versions, [&](const auto& r) { return r->version == *parsed; });
    const auto event =
        EventFor(ChangeKind::Deregistered, **victim, shared_->options.typeName, Now());
    versions.erase(victim);
    if (versions.empty())
        names.erase(it);
    else
        it->second.Recompute();
    --next->entries;
    auto published = WithLayer(*base, ctx.tenant, std::move(next));
    Publish(std::move(base), std::move(published), lock, {event});
    return {};
}

std::expected<std::size_t, Error> RegistryCore::DeregisterAll(const Context& ctx,
                                                              std::string_view name) {
    std::unique_lock lock(shared_->writerMutex);
    auto base = shared_->Current();
    const Layer* layer = base->Tenant(ctx.tenant);
    const NameSlot* existing = layer ? layer->Find(name) : nullptr;
    if (!existing || existing->alias) {
        lock.unlock();
        Error e{ErrorCode::NotFound, "'" + std::string(name) + "' is not registered"};
        Reject(ctx, AuditAction::Deregister, name, {}, e);
        return std::unexpected(std::move(e));
    }
    auto next = CopyLayer(*base, ctx.tenant);
    auto& names = next->Names(name);
    auto it = names.find(name);
    std::vector<ChangeEvent> events;
    const auto now = Now();
    for (const auto& r : it->second.versions)
        events.push_back(EventFor(ChangeKind::Deregistered, *r, shared_->options.typeName, now));
    const auto n = it->second.versions.size();
    next->entries -= n;
    names.erase(it);
    auto published = WithLayer(*base, ctx.tenant, std::move(next));
    Publish(std::move(base), std::move(published), lock, events);
    return n;
}

std::expected<void, Error> RegistryCore::AddAlias(const Context& ctx, AliasSpec spec) {
    auto fail = [&](Error e) -> std::expected<void, Error> {
        Reject(ctx, AuditAction::AliasAdd, spec.alias, {}, e);
        return std::unexpected(std::move(e));
    };
    if (auto ok = ValidateName(spec.alias); !ok)
        return fail(std::move(ok.error()));
    if (auto ok = ValidateName(spec.target); !ok)
        return fail(std::move(ok.error()));
    auto record = std::make_shared<detail::AliasRecord>();
    record->tenant = ctx.tenant;
    record->alias = spec.alias;
    record->target = spec.target;
    record->message = spec.message;
    record->removeAfter = spec.removeAfter;
    record->createdAt = Now();

    std::unique_lock lock(shared_->writerMutex);
    auto base = shared_->Current();
    const Layer* layer = base->Tenant(ctx.tenant);
    if (const NameSlot* existing = layer ? layer->Find(spec.alias) : nullptr) {
        lock.unlock();
        return fail(
            existing->alias
                ? Error{ErrorCode::Duplicate, "alias '" + spec.alias + "' exists"}
                : Error{ErrorCode::AliasConflict, "'" + spec.alias + "' is a registered name"});
    }
    const NameSlot* t = layer && !ctx.tenant.empty() ? layer->Find(spec.target) : nullptr;
    const NameSlot* g = base->global->Find(spec.target);
    if (!((t && !t->alias) || (g && !g->alias))) {
        lock.unlock();
        return fail(Error{ErrorCode::AliasTargetMissing,
                          "alias target '" + spec.target + "' is not a registered name"});
    }
    ChangeEvent event;
    event.kind = ChangeKind::AliasAdded;
    event.time = record->createdAt;
    event.tenant = ctx.tenant;
    event.name = spec.alias;
    event.type = shared_->options.typeName;
    event.aliasOf = spec.target;
    // An alias has no kind of its own: report its target's, as lookups resolve it (the
    // tenant's layer first, then the global one), from the highest version that has one.
    for (const NameSlot* target : {t, g}) {
        if (!target || target->alias || !event.entryKind.empty())
            continue;
        for (const auto& r : target->versions)
            if (!r->info.kind.empty()) {
                event.entryKind = r->info.kind;
                break;
            }
    }
    event.deprecated = true;
    event.deprecationMessage = spec.message;
    event.removeAfter = spec.removeAfter;
    auto next = CopyLayer(*base, ctx.tenant);
    next->Names(spec.alias)[spec.alias].alias = std::move(record);
    ++next->aliases;
    auto published = WithLayer(*base, ctx.tenant, std::move(next));
    Publish(std::move(base), std::move(published), lock, {event});
    return {};
}

std::expected<void, Error> RegistryCore::RemoveAlias(const Context& ctx, std::string_view alias) {
    std::unique_lock lock(shared_->writerMutex);
    auto base = shared_->Current();
    const Layer* layer = base->Tenant(ctx.tenant);
    const NameSlot* existing = layer ? layer->Find(alias) : nullptr;
    if (!existing || !existing->alias) {
        lock.unlock();
        Error e{ErrorCode::NotFound, "no alias '" + std::string(alias) + "'"};
        Reject(ctx, AuditAction::AliasRemove, alias, {}, e);
        return std::unexpected(std::move(e));
    }
    ChangeEvent event;
    event.kind = ChangeKind::AliasRemoved;
    event.time = Now();
    event.tenant = ctx.tenant;
    event.name = std::string(alias);
    event.type = shared_->options.typeName;
    event.aliasOf = existing->alias->target;
    auto next = CopyLayer(*base, ctx.tenant);
    auto& names = next->Names(alias);
    names.erase(names.find(alias));
    --next->aliases;
    auto published = WithLayer(*base, ctx.tenant, std::move(next));
    Publish(std::move(base), std::move(published), lock, {event});
    return {};
}

std::expected<ReloadReport, Error> RegistryCore::ReloadRaw(const Context& ctx,
                                                           std::vector<ReloadItem> items,
                                                           std::vector<ReloadAlias> aliases) {
    auto& s = *shared_;
    auto fail = [&](std::string why,
                    ErrorCode code =
                        ErrorCode::ValidationFailed) -> std::expected<ReloadReport, Error> {
        Error e{code, "reload rejected: " + std::move(why)};
        Reject(ctx, AuditAction::Reload, {}, {}, e);
        return std::unexpected(std::move(e));
    };

    // Phase 1: validate and build the complete new snapshot. No registry lock is held: readers
    // and writers carry on meanwhile.
    const auto now = Now();
    std::map<std::string, std::shared_ptr<Layer>> layers;
    layers[""] = std::make_shared<Layer>();
    for (std::size_t i = 0; i < items.size(); ++i) {
        auto& item = items[i];
        const std::string where = "item " + std::to_string(i) + " ('" + item.name + "' " +
                                  item.version + ", tenant '" + item.tenant + "'): ";
        if (auto ok = ValidateName(item.name); !ok)
            return fail(where + ok.error().message);
        auto version = Version::Parse(item.version);
        if (!version)
            return fail(where + version.error().message);
        if (!item.impl)
            return fail(where + "no implementation");
        if (s.options.accessCheck) {
            Context itemCtx{item.tenant, ctx.capabilities};
            if (!s.options.accessCheck(itemCtx, item.name, *version))
                return fail(where + "not allowed", ErrorCode::PermissionDenied);
        }
        auto& layer = layers[item.tenant];
        if (!layer)
            layer = std::make_shared<Layer>();
        auto& slot = layer->Names(item.name)[item.name];
        if (std::ranges::any_of(slot.versions,
                                [&](const auto& r) { return r->version == *version; }))
            return fail(where + "duplicate");
        auto record = std::make_shared<Record>();
        record->tenant = item.tenant;
        record->name = item.name;
        record->version = std::move(*version);
        record->versionText = record->version.ToString();
        record->info = std::move(item.info);
        record->registeredAt = now;
        record->impl = std::move(item.impl);
        record->nameId = s.NameId(item.name);
        auto pos = std::ranges::find_if(
            slot.versions, [&](const auto& r) { return r->version < record->version; });
        slot.versions.insert(pos, std::move(record));
        ++layer->entries;
    }
    for (auto& [tenant, layer] : layers) {
        if (const auto quota = s.QuotaFor(tenant); quota != 0 && layer->entries > quota)
            return fail("tenant '" + tenant + "' would hold " + std::to_string(layer->entries) +
                        " entries, quota " + std::to_string(quota));
    }
    for (std::size_t i = 0; i < aliases.size(); ++i) {
        auto& [tenant, spec] = aliases[i];
        const std::string where = "alias " + std::to_string(i) + " ('" + spec.alias + "'): ";
        if (auto ok = ValidateName(spec.alias); !ok)
            return fail(where + ok.error().message);
        auto& layer = layers[tenant];
        if (!layer)
            layer = std::make_shared<Layer>();
        auto registered = [&](const std::shared_ptr<Layer>& l, const std::string& n) {
            const NameSlot* found = l->Find(n);
            return found && !found->alias && !found->versions.empty();
        };
        if (registered(layer, spec.alias))
            return fail(where + "is a registered name");
        if (layer->Find(spec.alias))
            return fail(where + "duplicate");
        if (!registered(layer, spec.target) && !registered(layers[""], spec.target))
            return fail(where + "target '" + spec.target + "' is not registered");
        auto record = std::make_shared<detail::AliasRecord>();
        record->tenant = tenant;
        record->alias = spec.alias;
        record->target = spec.target;
        record->message = spec.message;
        record->removeAfter = spec.removeAfter;
        record->createdAt = now;
        layer->Names(spec.alias)[spec.alias].alias = std::move(record);
        ++layer->aliases;
    }
    auto next = std::make_shared<Snap>();
    for (auto& [tenant, layer] : layers) {
        layer->Seal();
        next->entries += layer->entries;
        next->aliases += layer->aliases;
        if (tenant.empty())
            next->global = std::move(layer);
        else if (!layer->Empty())
            next->tenants.emplace(tenant, std::move(layer));
    }

    // Phase 2: swap. Phase 3 (below): drop the old snapshot outside every lock.
    std::unique_lock lock(s.writerMutex);
    auto old = shared_->Current();
    next->generation = old->generation + 1;
    ReloadReport report;
    report.generation = next->generation;
    auto keys = [](const Snap& snap) {
        std::set<std::tuple<std::string, std::string, std::string>> out;
        auto add = [&](const Layer& l) {
            l.ForEach([&](const std::string&, const NameSlot& slot) {
                for (const auto& r : slot.versions)
                    out.emplace(r->tenant, r->name, r->versionText);
            });
        };
        add(*snap.global);
        for (const auto& [t, l] : snap.tenants)
            add(*l);
        return out;
    };
    const auto before = keys(*old);
    const auto after = keys(*next);
    for (const auto& k : after)
        (before.contains(k) ? report.kept : report.added)++;
    report.removed = before.size() - report.kept;
    ChangeEvent event;
    event.kind = ChangeKind::Reloaded;
    event.time = now;
    event.tenant = ctx.tenant;
    event.type = s.options.typeName;
    event.added = report.added;
    event.removed = report.removed;
    event.kept = report.kept;
    Publish(std::move(old), std::move(next), lock, {event});
    return report;
}

} // namespace regscope::registry
