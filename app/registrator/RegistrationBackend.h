#pragma once
// Where the registrator keeps its instance alive. The run loop (Registrator.cpp) only sees
// this interface, so another registry can be added beside the discovery one: an etcd
// backend implements the same four calls with a lease (grant + put on register,
// keep-alive on renew, revoke on cancel).

#include <chrono>
#include <expected>
#include <string>

namespace regscope::registrator {

enum class RegErrorCode {
    Unreachable,   // could not talk to the registry (down, timeout, garbage): retry with backoff
    NotRegistered, // the registry forgot us (-404, lease expired): register again now
    Rejected,      // the registry said no (-400, -503...): retry with backoff, it may change
};

struct RegError {
    RegErrorCode code = RegErrorCode::Unreachable;
    std::string message;
};

class RegistrationBackend {
public:
    virtual ~RegistrationBackend() = default;

    // One line for logs: "discovery http://127.0.0.1:7171 appid=a hostname=h".
    virtual std::string describe() const = 0;
    // How often renew() should run while registered (discovery: 30 s; etcd: TTL / 3).
    virtual std::chrono::milliseconds renewInterval() const = 0;

    // Each call returns within `deadline` (blocking is fine: the loop is single-threaded).
    virtual std::expected<void, RegError> registerInstance(std::chrono::milliseconds deadline) = 0;
    virtual std::expected<void, RegError> renew(std::chrono::milliseconds deadline) = 0;
    virtual std::expected<void, RegError> cancel(std::chrono::milliseconds deadline) = 0;
};

} // namespace regscope::registrator
