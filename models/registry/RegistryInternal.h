#pragma once
// Internal to the registry library: the state shared by RegistryCore's translation units
// (RegistryCore.cpp: construction, handles, observers; RegistryRead.cpp: lookups and
// introspection; RegistryWrite.cpp: writers and publication; RegistryMetrics.cpp: Metrics()).

#include "models/registry/ReaderSlot.h"
#include "models/registry/RegistryCore.h"
#include "models/registry/Snapshot.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace regscope::registry::detail {

inline constexpr std::size_t kMaxNameLength = 256;

// Writer-side state, observers and metrics that are not per thread.
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

// Why a name is refused (the lookup path uses a faster yes/no check first).
inline std::expected<void, Error> ValidateName(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameLength)
        return std::unexpected(Error{ErrorCode::InvalidName, "name must be 1..256 characters"});
    for (unsigned char c : name)
        if (c <= 0x20 || c == 0x7f)
            return std::unexpected(
                Error{ErrorCode::InvalidName, "name '" + std::string(name) +
                                                  "' contains whitespace or control characters"});
    return {};
}

inline ChangeEvent EventFor(ChangeKind kind, const Record& r, const std::string& typeName,
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
    e.registeredBy = r.info.registeredBy;
    return e;
}

inline AuditRecord AuditFor(AuditAction action, const ChangeEvent& e) {
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

} // namespace regscope::registry::detail
