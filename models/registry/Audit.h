#pragma once
// The audit trail: every Register / Deregister / alias (and deprecated) lookup / rejected call /
// reload becomes one structured record handed to a pluggable sink. The default sink writes
// one JSON object per line.

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>

namespace regscope::registry {

enum class AuditAction : std::uint8_t {
    Register,
    Deregister,
    AliasAdd,
    AliasRemove,
    DeprecatedLookup, // a lookup through an alias or of an entry marked deprecated (a warning)
    Reload,
    Attach, // the debug endpoint: a client attached, was refused or dropped (registry "")
};
std::string_view ToString(AuditAction action);

struct AuditRecord {
    std::chrono::system_clock::time_point time{};
    AuditAction action = AuditAction::Register;
    std::string tenant{};
    std::string name{};
    std::string version{};
    std::string outcome{}; // "ok", "warning" (deprecated use), or the ErrorCode's name
    std::string detail{};  // error message, or deprecation message
    std::string aliasOf{};
    std::string removeAfter{};
};

// One JSON object, no newline: {"time":"2026-11-22T00:00:00.123Z","action":"register",
// "tenant":"","name":"codec","version":"1.2.0","outcome":"ok", ...optional fields}.
std::string ToJsonLine(const AuditRecord& record);

// Called from whatever thread performs the audited call, possibly from several threads at
// once: implementations must be thread-safe and should be cheap.
class AuditSink {
public:
    virtual ~AuditSink() = default;
    virtual void Record(const AuditRecord& record) = 0;
};

class NullAuditSink final : public AuditSink {
public:
    void Record(const AuditRecord&) override {}
};

// The default: one JSON line per record, written to a stream (std::clog unless told) or
// handed to a line callback; serialised by an internal mutex.
class JsonLinesAuditSink final : public AuditSink {
public:
    explicit JsonLinesAuditSink(std::ostream& out);
    explicit JsonLinesAuditSink(std::function<void(const std::string& line)> writeLine);
    void Record(const AuditRecord& record) override;

private:
    std::mutex mutex_{};
    std::ostream* out_ = nullptr;
    std::function<void(const std::string&)> writeLine_;
};

} // namespace regscope::registry
