#include "models/registry/DebugEndpoint.h"
#include "models/registry/RegistryInternal.h"

#include <iostream>

namespace regscope::registry {

namespace {

using Snap = detail::Snapshot;

std::atomic<std::uint64_t> gNextRegistryId{1};

} // namespace

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
    detail::EndpointRegistryCreated(*this); // REGSCOPE_DEBUG=1 or a running endpoint: expose it
}

RegistryCore::~RegistryCore() {
    detail::EndpointRegistryDestroyed(*this);
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

} // namespace regscope::registry
