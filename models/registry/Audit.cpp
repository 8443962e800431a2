#include "models/registry/Audit.h"

#include <nlohmann/json.hpp>

#include <ctime>
#include <ostream>

namespace regscope::registry {
namespace {

// RFC 3339 UTC with milliseconds, without <format> (GCC 12).
std::string Rfc3339(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
    const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    const auto frac = static_cast<int>(((ms.count() % 1000) + 1000) % 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, frac);
    return out;
}

} // namespace

std::string_view ToString(AuditAction action) {
    switch (action) {
    case AuditAction::Register:
        return "register";
    case AuditAction::Deregister:
        return "deregister";
    case AuditAction::AliasAdd:
        return "alias_add";
    case AuditAction::AliasRemove:
        return "alias_remove";
    case AuditAction::DeprecatedLookup:
        return "deprecated_lookup";
    case AuditAction::Reload:
        return "reload";
    case AuditAction::Attach:
        return "attach";
    }
    return "unknown";
}

std::string ToJsonLine(const AuditRecord& r) {
    nlohmann::ordered_json j;
    j["time"] = Rfc3339(r.time);
    j["action"] = std::string(ToString(r.action));
    j["tenant"] = r.tenant;
    j["name"] = r.name;
    j["version"] = r.version;
    j["outcome"] = r.outcome;
    if (!r.detail.empty())
        j["detail"] = r.detail;
    if (!r.aliasOf.empty())
        j["alias_of"] = r.aliasOf;
    if (!r.removeAfter.empty())
        j["remove_after"] = r.removeAfter;
    // Names come from callers: never let invalid UTF-8 turn into an exception.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

JsonLinesAuditSink::JsonLinesAuditSink(std::ostream& out)
    : out_(&out) {}

JsonLinesAuditSink::JsonLinesAuditSink(std::function<void(const std::string&)> writeLine)
    : writeLine_(std::move(writeLine)) {}

void JsonLinesAuditSink::Record(const AuditRecord& record) {
    const auto line = ToJsonLine(record);
    std::lock_guard lock(mutex_);
    if (writeLine_) {
        writeLine_(line);
    } else if (out_) {
        *out_ << line << '\n';
        out_->flush();
    }
}

} // namespace regscope::registry
