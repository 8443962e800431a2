#pragma once
// Change notifications, so a debugger can follow a registry live without polling.

#include "models/registry/Audit.h"
#include "models/registry/Error.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace regscope::registry {

enum class ChangeKind : std::uint8_t {
    Registered,
    Deregistered,
    AliasAdded,
    AliasRemoved,
    DeprecatedLookup, // a lookup through an alias, or of an entry marked deprecated
    Rejected,         // a Register / Deregister / AddAlias / Reload that failed
    Reloaded,         // a hot reload swapped in a new set (one event, counts below)
};
std::string_view ToString(ChangeKind kind);

struct ChangeEvent {
    ChangeKind kind = ChangeKind::Registered;
    std::uint64_t generation = 0; // snapshot generation after the change (0 for lookups/rejects)
    std::chrono::system_clock::time_point time{};
    std::string tenant{};
    std::string name{};
    std::string version{};
    std::string type{};        // the registry's type name (Options::typeName)
    std::string entryKind{};   // EntryInfo::kind
    std::string description{}; // EntryInfo::description
    std::string origin{};      // EntryInfo::origin
    std::string aliasOf{};     // alias events: the target name
    bool deprecated = false;
    std::string deprecationMessage{};
    std::string removeAfter{};
    std::optional<ErrorCode> error{}; // Rejected: why
    std::string errorMessage{};
    // Reloaded: how the set changed.
    std::size_t added = 0;
    std::size_t removed = 0;
    std::size_t kept = 0;
    std::string registeredBy{}; // Registered / Deregistered: EntryInfo::registeredBy
    AuditAction action = AuditAction::Register; // the audited call (Rejected: which one failed)
};

// Threads: Registered / Deregistered / Alias* / Rejected / Reloaded are delivered on the
// writing thread after the change is visible, in generation order, outside the registry's
// writer lock but while holding the notification lock. DeprecatedLookup is delivered on the
// thread that looked up, possibly concurrently with other callbacks.
// Rules: be cheap (copy what you need and hand it to your own thread), never throw, and never
// call back into the registry's writing API (Register, Deregister, AddAlias, Reload,
// Add/RemoveObserver) from a callback. Lookups from a callback are allowed.
class Observer {
public:
    virtual ~Observer() = default;
    virtual void OnChange(const ChangeEvent& event) = 0;
};

} // namespace regscope::registry
