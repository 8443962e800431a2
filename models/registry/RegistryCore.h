#pragma once
// The type-erased registry core behind Registry<T> (Registry.h has the usage example).
// Everything that does not depend on T lives here, so introspection (Snapshot, Metrics,
// observers) works through a plain RegistryCore& whatever the implementation type.

#include "models/registry/Audit.h"
#include "models/registry/Context.h"
#include "models/registry/Error.h"
#include "models/registry/Metrics.h"
#include "models/registry/Observer.h"
#include "models/registry/SemVer.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace regscope::registry {

// What a registration says about itself (all optional).
struct EntryInfo {
    std::string kind{}; // codec, driver, resolver...
    std::string description{};
    std::string origin{};    // where it came from: "demo", a plugin path...
    bool deprecated = false; // lookups still succeed, but count and warn like an alias
    std::string deprecationMessage{};
    std::string removeAfter{}; // a free-form note: a version or date after which it goes away
    // The shared object whose code called Register/Reload (dladdr on the caller), e.g.
    // "/usr/lib/libcodec_zstd.so"; filled in by the registry when left empty.
    std::string registeredBy{};
};

// An alias forwards an old name to a registered one (in the same tenant layer, or the global
// layer under it). Aliases are always deprecated: every lookup through one counts and warns.
struct AliasSpec {
    std::string alias{};
    std::string target{};
    std::string message{};
    std::string removeAfter{};
};

// One row of Snapshot(): a registration, or an alias (aliasOf non-empty, version empty).
struct SnapshotEntry {
    std::string tenant{}; // empty: global layer
    std::string name{};
    std::string version{};
    std::string type{}; // Options::typeName
    std::string kind{};
    std::string description{};
    std::string origin{};
    std::chrono::system_clock::time_point registeredAt{};
    std::string aliasOf{};
    bool deprecated = false;
    std::string deprecationMessage{};
    std::string removeAfter{};
    std::string registeredBy{}; // EntryInfo::registeredBy (empty for aliases)
};

// Snapshot() together with the generation it was taken at (one consistent state).
struct GenerationSnapshot {
    std::uint64_t generation = 0;
    std::vector<SnapshotEntry> entries{};
};

// Register's access check: return false to refuse (PermissionDenied). Called on the writing
// thread with the caller's context, before anything changes.
using AccessCheck =
    std::function<bool(const Context& ctx, std::string_view name, const Version& version)>;
// The common check: the caller's context must hold `capability`.
AccessCheck RequireCapability(std::string capability);

struct RegistryOptions {
    std::string typeName{};             // reported in snapshots and events ("codec", "plugin")
    std::shared_ptr<AuditSink> audit{}; // null: a JsonLinesAuditSink on std::clog
    AccessCheck accessCheck{};          // null: anyone may register
    std::size_t defaultTenantQuota = 0; // max registrations per non-global tenant; 0: none
    std::map<std::string, std::size_t> tenantQuotas{}; // per tenant ("" = global); 0: none
    std::uint32_t latencySampleEvery = 64;             // time 1 lookup in N per thread (0: never)
    std::uint32_t missTopK = 256; // most-missed names kept per looking-up thread
    // Once a thread's most-missed table is full, 1 miss in N of a name not in it may evict a
    // least counted name (1: every such miss, classic space-saving). Names in the table are
    // counted exactly either way. Keeps a flood of distinct missing names cheap;
    // lookup_total{miss} stays exact. See MetricsSnapshot::topMisses for what the counts mean.
    std::uint32_t missSampleEvery = 64;
    // Wall clock for timestamps (audit, events, registeredAt); injectable for tests.
    std::function<std::chrono::system_clock::time_point()> clock{};
};

struct ReloadReport {
    std::size_t added = 0;   // (tenant, name, version) keys new in the set
    std::size_t removed = 0; // keys gone
    std::size_t kept = 0;    // keys in both (their implementation is the new one)
    std::uint64_t generation = 0;
};

using ObserverId = std::uint64_t;

namespace detail {
struct Record;
struct Snapshot;
struct ReaderSlot;
struct Shared;
// A reading thread's pin on one snapshot. Handles count themselves here (plain integer, only
// ever touched by the owning thread), not in a shared reference count.
struct PinBlock {
    std::shared_ptr<const Snapshot> snap{};
    std::uint32_t pins = 0;
    bool detached = false; // no longer the slot's current block: last Handle frees it
};
void FreeDetachedBlock(PinBlock* block);
} // namespace detail

// The untyped result of a lookup. See Handle<T> in Registry.h for the lifetime rule.
class RawHandle {
public:
    RawHandle() = default;
    RawHandle(const RawHandle& o)
        : block_(o.block_)
        , record_(o.record_)
        , recordRef_(o.recordRef_)
        , impl_(o.impl_)
        , viaAlias_(o.viaAlias_) {
        if (block_)
            ++block_->pins;
    }
    RawHandle(RawHandle&& o) noexcept
        : block_(std::exchange(o.block_, nullptr))
        , record_(o.record_)
        , recordRef_(o.recordRef_)
        , impl_(o.impl_)
        , viaAlias_(o.viaAlias_) {}
    RawHandle& operator=(RawHandle o) noexcept {
        std::swap(block_, o.block_);
        record_ = o.record_;
        recordRef_ = o.recordRef_;
        impl_ = o.impl_;
        viaAlias_ = o.viaAlias_;
        return *this;
    }
    ~RawHandle() {
        if (block_ && --block_->pins == 0 && block_->detached)
            detail::FreeDetachedBlock(block_);
    }

    void* Get() const { return impl_; }
    const std::string& Name() const;   // the registered name (the alias target, via an alias)
    const std::string& Tenant() const; // the layer it came from ("" global)
    const Version& GetVersion() const;
    std::string VersionText() const;
    const EntryInfo& Info() const;
    bool ViaAlias() const { return viaAlias_; }
    // Shares ownership of the implementation: a shared_ptr that may outlive the handle, cross
    // threads, and survive deregistration (one reference count increment).
    std::shared_ptr<void> ShareRaw() const;

private:
    friend class RegistryCore;
    RawHandle(detail::PinBlock* block, const detail::Record* record, void* impl, bool viaAlias)
        : block_(block)
        , record_(record)
        , impl_(impl)
        , viaAlias_(viaAlias) {
        ++block_->pins;
    }
    // The fast path hands out where the record pointer lives instead of reading it.
    RawHandle(detail::PinBlock* block, const detail::Record* const* recordRef, void* impl,
              bool viaAlias)
        : block_(block)
        , recordRef_(recordRef)
        , impl_(impl)
        , viaAlias_(viaAlias) {
        ++block_->pins;
    }
    const detail::Record* Rec() const;

    detail::PinBlock* block_ = nullptr;
    const detail::Record* record_ = nullptr;
    const detail::Record* const* recordRef_ = nullptr;
    void* impl_ = nullptr;
    bool viaAlias_ = false;
};

// The message of a plain Lookup miss (ErrorCode::NotFound).
inline constexpr char kNotRegisteredMessage[] = "not registered";

class RegistryCore {
public:
    explicit RegistryCore(RegistryOptions options = {});
    ~RegistryCore();
    RegistryCore(const RegistryCore&) = delete;
    RegistryCore& operator=(const RegistryCore&) = delete;

    // --- writing (serialised among writers; never blocks readers) ---------------------------
    std::expected<void, Error> Deregister(const Context& ctx, std::string_view name,
                                          std::string_view version);
    // Every version of `name` in ctx's layer; returns how many went.
    std::expected<std::size_t, Error> DeregisterAll(const Context& ctx, std::string_view name);
    std::expected<void, Error> AddAlias(const Context& ctx, AliasSpec alias);
    std::expected<void, Error> RemoveAlias(const Context& ctx, std::string_view alias);
    void SetTenantQuota(const std::string& tenant, std::size_t maxEntries); // 0: none

    // --- reading (any thread, no lock) -------------------------------------------------------
    // Registered names visible to ctx (its tenant layer and the global layer), sorted, unique;
    // aliases are not names (see Snapshot()).
    std::vector<std::string> Names(const Context& ctx = {}) const;
    bool Contains(const Context& ctx, std::string_view name) const; // registration or alias
    // The subset of `names` already taken (registered or aliased) in ctx's view, in order.
    std::vector<std::string> Collisions(const Context& ctx,
                                        std::span<const std::string> names) const;
    // Every registration and alias of every tenant, sorted by (tenant, name, version desc).
    std::vector<SnapshotEntry> Snapshot() const;
    // sorted = false: in no particular order (cheaper; the debug endpoint's snapshots).
    GenerationSnapshot SnapshotWithGeneration(bool sorted = true) const;
    MetricsSnapshot Metrics() const;
    std::uint64_t Generation() const { return generation_.load(std::memory_order_acquire); }
    const std::string& TypeName() const;

    // Drop the calling thread's cached snapshot, then ReclaimRetired(). Reading again
    // re-caches. Useful before a thread idles.
    void ReleaseThreadCache();
    // Frees replaced snapshots that no thread caches and no Handle pins any more, on the
    // calling thread, outside every lock: this is where old implementations are destroyed
    // (their destructors may use the registry). Every write does it after publishing; call it
    // yourself (e.g. from a timer) to release sooner after readers moved on. Returns how many.
    std::size_t ReclaimRetired();

    // --- observers ---------------------------------------------------------------------------
    // Safe from any thread (not from inside a callback). After RemoveObserver returns no new
    // callback starts; one already running on another thread keeps its shared_ptr until done.
    ObserverId AddObserver(std::shared_ptr<Observer> observer);
    void RemoveObserver(ObserverId id);

protected:
    struct ReloadItem {
        std::string tenant{};
        std::string name{};
        std::string version{};
        std::shared_ptr<void> impl{};
        EntryInfo info{};
    };
    struct ReloadAlias {
        std::string tenant{};
        AliasSpec alias{};
    };

    // `caller`: an address in the code that called Register (for EntryInfo::registeredBy).
    std::expected<void, Error> RegisterRaw(const Context& ctx, std::string_view name,
                                           std::string_view version, std::shared_ptr<void> impl,
                                           EntryInfo info, const void* caller = nullptr);
    // A plain miss (NotFound) comes back with an empty message, for the typed wrapper to
    // write kNotRegisteredMessage in place; every other error carries its message.
    std::expected<RawHandle, Error> LookupRaw(const Context& ctx, std::string_view name) const;
    std::expected<RawHandle, Error> LookupRaw(const Context& ctx, std::string_view name,
                                              const Constraint& constraint) const;
    std::expected<RawHandle, Error> LookupRaw(const Context& ctx, std::string_view name,
                                              std::string_view constraint) const;
    // Two-phase: validate and build the whole new set without any lock, swap it in, notify,
    // then drop the old set (old implementations are destroyed once no thread's cache or
    // Handle holds them; their destructors may use the registry). All or nothing.
    std::expected<ReloadReport, Error> ReloadRaw(const Context& ctx, std::vector<ReloadItem> items,
                                                 std::vector<ReloadAlias> aliases,
                                                 const void* caller = nullptr);

private:
    detail::ReaderSlot* ThisThreadSlot() const;
    std::expected<RawHandle, Error> LookupImpl(const Context& ctx, std::string_view name,
                                               const Constraint* constraint) const;
    void Publish(std::shared_ptr<const detail::Snapshot> base,
                 std::shared_ptr<const detail::Snapshot> next,
                 std::unique_lock<std::mutex>& writerLock, const std::vector<ChangeEvent>& events);
    void Reject(const Context& ctx, AuditAction action, std::string_view name,
                std::string_view version, const Error& error);
    void NoteDeprecatedUse(const Context& ctx, std::string_view lookedUp,
                           const detail::Record& record, bool viaAlias,
                           std::string_view aliasMessage, std::string_view aliasRemoveAfter) const;
    std::chrono::system_clock::time_point Now() const;

    // Read-mostly line: readers load it on every lookup, writers bump it per change.
    alignas(64) std::atomic<std::uint64_t> generation_{0};
    alignas(64) std::uint64_t id_;             // never reused: keys the per-thread slot caches
    std::unique_ptr<detail::Shared> shared_{}; // writer state, slots, metrics, observers
};

} // namespace regscope::registry
