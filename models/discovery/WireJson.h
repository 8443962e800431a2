#pragma once
// JSON shapes of the discovery wire (PROTOCOLS.md §1).

#include "models/discovery/Instance.h"

#include <nlohmann/json.hpp>

#include <expected>
#include <map>
#include <string>
#include <string_view>

namespace regscope::discovery {

nlohmann::json toJson(const Instance& instance);
nlohmann::json toJson(const InstanceInfo& info);
// The reply envelope: {"code","message","ttl":1[,"data"]}.
std::string envelope(Code code, std::string_view message, const nlohmann::json* data = nullptr);

// metadata travels as a JSON object in a string; every value must be a string.
std::expected<std::map<std::string, std::string>, std::string> parseMetadata(std::string_view text);

} // namespace regscope::discovery
