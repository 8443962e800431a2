#include "models/registry/Error.h"

namespace regscope::registry {

std::string_view ToString(ErrorCode code) {
    switch (code) {
    case ErrorCode::NotFound:
        return "not_found";
    case ErrorCode::NoMatchingVersion:
        return "no_matching_version";
    case ErrorCode::InvalidName:
        return "invalid_name";
    case ErrorCode::InvalidVersion:
        return "invalid_version";
    case ErrorCode::InvalidConstraint:
        return "invalid_constraint";
    case ErrorCode::Duplicate:
        return "duplicate";
    case ErrorCode::NullImplementation:
        return "null_implementation";
    case ErrorCode::QuotaExceeded:
        return "quota_exceeded";
    case ErrorCode::PermissionDenied:
        return "permission_denied";
    case ErrorCode::AliasConflict:
        return "alias_conflict";
    case ErrorCode::AliasTargetMissing:
        return "alias_target_missing";
    case ErrorCode::ValidationFailed:
        return "validation_failed";
    case ErrorCode::EndpointError:
        return "endpoint_error";
    }
    return "unknown";
}

} // namespace regscope::registry
