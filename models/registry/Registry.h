#pragma once
// regscope's embeddable in-process registry: name + semver version -> implementation.
//
//   #include "models/registry/Registry.h"
//   using namespace regscope::registry;
//
//   struct Codec { virtual ~Codec() = default; virtual std::string Encode(std::string) = 0; };
//
//   Registry<Codec> codecs({.typeName = "codec", .audit = std::make_shared<NullAuditSink>()});
//   auto ok = codecs.Register("gzip", "1.4.0", std::make_shared<GzipCodec>(),
//                             {.kind = "compression", .origin = "builtin"});
//   if (!ok) log(ok.error().message);              // Duplicate, NullImplementation, ...
//   codecs.AddAlias({}, {.alias = "zlib", .target = "gzip", .message = "use gzip",
//                        .removeAfter = "3.0"});
//
//   if (auto h = codecs.Lookup("gzip", "^1.2")) // highest version satisfying ^1.2
//       (*h)->Encode("x");
//   else if (h.error().code == ErrorCode::NotFound) ...  // a miss is a value, not a crash
//
//   // Tenants: an explicit context; the tenant's layer wins over the global one.
//   Context acme = Context::Tenant("acme", {"registry.write"});
//   codecs.Register(acme, "gzip", "2.0.0", std::make_shared<AcmeGzip>());
//   codecs.Lookup(acme, "gzip");    // acme's 2.0.0; other tenants still see 1.4.0
//
//   // Hot reload: validated and built outside locks, swapped, then the old set released.
//   codecs.Reload({}, {{.name = "gzip", .version = "1.5.0", .impl = newGzip}});
//
// Threads: every method may be called from any thread. A lookup takes no lock and writes no
// shared memory in steady state: each thread caches the current snapshot and refreshes it
// only when the registry's generation moves (then it holds a mutex for one shared_ptr copy,
// once per change). Metrics are counted per thread (plain relaxed stores); lookup latency is
// timed on 1 lookup in latencySampleEvery (64) per thread, not on every call. Writers copy
// the part they change (a sixteenth of one of 256 name shards of one tenant layer), update
// that shard's index in place and publish a new snapshot, one writer at a time; they never
// wait for readers.
//
// Handle lifetime rule: a Handle pins the snapshot it came from through a per-thread pin
// count (no shared reference count is touched per lookup). It therefore
//   - stays valid, whatever writers do meanwhile (deregister, reload), as long as it lives;
//   - must be copied and destroyed only on the thread that looked it up (nothing checks
//     this; it is a rule). To hand an implementation to another thread or keep it beyond
//     the current piece of work, call Share(), which returns an ordinary std::shared_ptr<T>.
//
// When old implementations die: a replaced snapshot is retired. It is freed, and the
// implementations only it held are destroyed, by a writing thread (at the end of every
// write) or by ReclaimRetired(), once no thread's cache and no Handle still uses it; never
// by a reading thread, and always outside the registry's locks, so destructors may use the
// registry. An idle thread's cache holds the snapshot it last saw until that thread reads the
// registry again, calls ReleaseThreadCache(), or exits.

#include "models/registry/RegistryCore.h"

#include <memory>
#include <utility>

namespace regscope::registry {

template <typename T>
class Handle {
public:
    Handle() = default;
    explicit Handle(RawHandle raw)
        : raw_(std::move(raw)) {}

    T* get() const { return static_cast<T*>(raw_.Get()); }
    T& operator*() const { return *get(); }
    T* operator->() const { return get(); }
    explicit operator bool() const { return get() != nullptr; }

    const std::string& Name() const { return raw_.Name(); }
    const std::string& Tenant() const { return raw_.Tenant(); }
    const Version& GetVersion() const { return raw_.GetVersion(); }
    std::string VersionText() const { return raw_.VersionText(); }
    const EntryInfo& Info() const { return raw_.Info(); }
    bool ViaAlias() const { return raw_.ViaAlias(); }
    std::shared_ptr<T> Share() const { return std::static_pointer_cast<T>(raw_.ShareRaw()); }

private:
    RawHandle raw_{};
};

// One registration for Reload (tenant "" is the global layer).
template <typename T>
struct Registration {
    std::string tenant{};
    std::string name{};
    std::string version{};
    std::shared_ptr<T> impl{};
    EntryInfo info{};
};

struct TenantAlias {
    std::string tenant{};
    AliasSpec alias{};
};

template <typename T>
class Registry : public RegistryCore {
public:
    explicit Registry(RegistryOptions options = {})
        : RegistryCore(std::move(options)) {}

    // Errors: InvalidName, InvalidVersion, NullImplementation, Duplicate, AliasConflict,
    // QuotaExceeded, PermissionDenied.
    // Always inlined, so the return address RegisterRaw sees lies in the caller's own shared
    // object: that is how an entry knows which plugin registered it (EntryInfo::registeredBy).
    [[gnu::always_inline]] std::expected<void, Error>
    Register(const Context& ctx, std::string_view name, std::string_view version,
             std::shared_ptr<T> impl, EntryInfo info = {}) {
        return RegisterRaw(ctx, name, version, std::static_pointer_cast<void>(std::move(impl)),
                           std::move(info));
    }
    [[gnu::always_inline]] std::expected<void, Error> Register(std::string_view name,
                                                               std::string_view version,
                                                               std::shared_ptr<T> impl,
                                                               EntryInfo info = {}) {
        return RegisterRaw(kGlobalContext, name, version,
                           std::static_pointer_cast<void>(std::move(impl)), std::move(info));
    }

    // The highest version (releases before pre-releases) of `name` in ctx's tenant layer, else
    // in the global layer; through an alias if `name` is one. Errors: NotFound,
    // NoMatchingVersion (misses), InvalidName, InvalidConstraint.
    std::expected<Handle<T>, Error> Lookup(const Context& ctx, std::string_view name) const {
        return Wrap(LookupRaw(ctx, name));
    }
    std::expected<Handle<T>, Error> Lookup(std::string_view name) const {
        return Wrap(LookupRaw(kGlobalContext, name));
    }
    // The highest version satisfying the constraint (see SemVer.h for the grammar).
    std::expected<Handle<T>, Error> Lookup(const Context& ctx, std::string_view name,
                                           std::string_view constraint) const {
        return Wrap(LookupRaw(ctx, name, constraint));
    }
    std::expected<Handle<T>, Error> Lookup(std::string_view name,
                                           std::string_view constraint) const {
        return Wrap(LookupRaw(kGlobalContext, name, constraint));
    }
    // Pre-parsed constraint: no parsing on the hot path.
    std::expected<Handle<T>, Error> Lookup(const Context& ctx, std::string_view name,
                                           const Constraint& constraint) const {
        return Wrap(LookupRaw(ctx, name, constraint));
    }

    // Replaces the whole content (every tenant, every alias) with `set`, all or nothing.
    // Errors: ValidationFailed (message says which item and why), PermissionDenied.
    [[gnu::always_inline]] std::expected<ReloadReport, Error>
    Reload(const Context& ctx, std::vector<Registration<T>> set,
           std::vector<TenantAlias> aliases = {}) {
        std::vector<ReloadItem> items{};
        items.reserve(set.size());
        for (auto& r : set)
            items.push_back({std::move(r.tenant), std::move(r.name), std::move(r.version),
                             std::static_pointer_cast<void>(std::move(r.impl)), std::move(r.info)});
        std::vector<ReloadAlias> raw{};
        raw.reserve(aliases.size());
        for (auto& a : aliases)
            raw.push_back({std::move(a.tenant), std::move(a.alias)});
        return ReloadRaw(ctx, std::move(items), std::move(raw));
    }

private:
    // Builds the result in place: one move of the handle or the error, not three.
    static std::expected<Handle<T>, Error> Wrap(std::expected<RawHandle, Error> raw) {
        if (!raw) {
            if (raw.error().code == ErrorCode::NotFound && raw.error().message.empty())
                return std::expected<Handle<T>, Error>(std::unexpect, ErrorCode::NotFound,
                                                       kNotRegisteredMessage); // the hot miss
            return std::expected<Handle<T>, Error>(std::unexpect, std::move(raw.error()));
        }
        return std::expected<Handle<T>, Error>(std::in_place, std::move(*raw));
    }
};

} // namespace regscope::registry
