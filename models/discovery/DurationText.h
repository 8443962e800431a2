#pragma once
// Durations as people type them in flags and config files.

#include "models/discovery/DiscoveryConfig.h"

#include <expected>
#include <string>
#include <string_view>

namespace regscope::discovery {

// "30s", "200ms", "15m", "1h", "500us", "10ns"; a bare number is seconds.
std::expected<Duration, std::string> parseDuration(std::string_view text);

} // namespace regscope::discovery
