#pragma once
// The discovery wire's values (PROTOCOLS.md §1) as plain std types, and the error value
// every core operation returns.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace regscope::discovery {

enum class Code : int {
    Ok = 0,
    NotModified = -304,
    BadRequest = -400,
    NotFound = -404,
    Conflict = -409,
    ServerError = -500,
    Unavailable = -503,
};

struct Error {
    Code code = Code::ServerError;
    std::string message;
};

enum InstanceStatus : int { StatusUp = 1, StatusWaiting = 2 };

struct Instance {
    std::string region;
    std::string zone;
    std::string env;
    std::string appid;
    std::string hostname;
    std::vector<std::string> addrs;
    std::string version;
    std::map<std::string, std::string> metadata;
    int status = StatusUp;
    std::int64_t regTimestamp = 0;
    std::int64_t upTimestamp = 0;
    std::int64_t renewTimestamp = 0;
    std::int64_t dirtyTimestamp = 0;
    std::int64_t latestTimestamp = 0;

    friend bool operator==(const Instance&, const Instance&) = default;
};

// One app's instances by zone, and the app's change stamp.
struct InstanceInfo {
    std::map<std::string, std::vector<Instance>> instances;
    std::int64_t latestTimestamp = 0;
};

} // namespace regscope::discovery
