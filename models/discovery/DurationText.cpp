#include "models/discovery/DurationText.h"

#include <cmath>
#include <cstdlib>

namespace regscope::discovery {

std::expected<Duration, std::string> parseDuration(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.'))
        ++i;
    const std::string number(text.substr(0, i));
    const std::string_view unit = text.substr(i);
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(value))
        return std::unexpected("not a duration: \"" + std::string(text) + "\"");
    double scale = 1e9;
    if (unit.empty() || unit == "s")
        scale = 1e9;
    else if (unit == "ms")
        scale = 1e6;
    else if (unit == "us")
        scale = 1e3;
    else if (unit == "ns")
        scale = 1;
    else if (unit == "m")
        scale = 60e9;
    else if (unit == "h")
        scale = 3600e9;
    else
        return std::unexpected("unknown unit in duration \"" + std::string(text) + "\"");
    return Duration(static_cast<std::int64_t>(value * scale));
}

} // namespace regscope::discovery
