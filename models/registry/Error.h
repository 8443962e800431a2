#pragma once
// Errors are values (ARCHITECTURE.md): a code to branch on and a message for humans.

#include <cstdint>
#include <string>
#include <string_view>

namespace regscope::registry {

enum class ErrorCode : std::uint8_t {
    NotFound,           // no entry and no alias under that name (a Lookup miss)
    NoMatchingVersion,  // the name exists but no version satisfies the constraint (a miss)
    InvalidName,        // empty, too long, or containing whitespace/control characters
    InvalidVersion,     // not a semantic version
    InvalidConstraint,  // a version constraint that does not parse
    Duplicate,          // (tenant, name, version) already registered, or alias already exists
    NullImplementation, // Register with an empty implementation
    QuotaExceeded,      // the tenant's entry quota is reached
    PermissionDenied,   // the configured access check refused the call
    AliasConflict,      // alias name is a registered name, or a name to register is an alias
    AliasTargetMissing, // alias points at a name that is not registered (aliases do not chain)
    ValidationFailed,   // a Reload set failed validation (details in the message)
    EndpointError,      // the debug endpoint could not start (unsafe directory, bind failed)
};

std::string_view ToString(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::NotFound;
    std::string message;
};

} // namespace regscope::registry
