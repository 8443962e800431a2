#pragma once
// Direct JSON writers for the hot replies (fetch, polls, renew): building an nlohmann tree
// first cost most of a fetch. Same shape as WireJson's toJson(); invalid UTF-8 in a string
// becomes U+FFFD so the output is always valid JSON.

#include "models/discovery/Instance.h"

#include <string>
#include <string_view>

namespace regscope::discovery {

void appendJsonString(std::string& out, std::string_view text);
void appendJson(std::string& out, const Instance& instance);
void appendJson(std::string& out, const InstanceInfo& info);
// The reply envelope with data already serialised (empty dataJson: no "data").
std::string envelopeRaw(Code code, std::string_view message, std::string_view dataJson);

} // namespace regscope::discovery
