#pragma once
// Request parameters of the discovery API: a query string and/or an
// application/x-www-form-urlencoded body; arrays are repeated keys (appid=a&appid=b).
// Getters answer with the -400 message that names the parameter.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace regscope::discoveryd {

class FormParams {
public:
    // Appends the pairs of an encoded string; fails on a malformed %-escape.
    std::expected<void, std::string> parse(std::string_view encoded);

    std::optional<std::string> first(std::string_view name) const;
    std::vector<std::string> all(std::string_view name) const;

    std::expected<std::string, std::string> required(std::string_view name) const;
    std::expected<std::vector<std::string>, std::string> requiredList(std::string_view name) const;
    std::expected<std::int64_t, std::string> requiredInt(std::string_view name) const;
    // Absent or empty: fallback.
    std::expected<std::int64_t, std::string> optionalInt(std::string_view name,
                                                         std::int64_t fallback) const;
    std::expected<std::vector<std::int64_t>, std::string> intList(std::string_view name) const;
    std::expected<bool, std::string> optionalBool(std::string_view name) const;

    // The name of the first parameter whose name or value is not valid UTF-8 (discoveryd
    // refuses those: JSON replies could not return the bytes exactly).
    std::optional<std::string> firstInvalidUtf8() const;

private:
    std::vector<std::pair<std::string, std::string>> m_pairs;
};

// Well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool isValidUtf8(std::string_view text);

} // namespace regscope::discoveryd
