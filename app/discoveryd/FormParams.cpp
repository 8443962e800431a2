#include "app/discoveryd/FormParams.h"

#include <charconv>

namespace regscope::discoveryd {

namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::optional<std::string> decode(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= in.size())
                return std::nullopt;
            const int hi = hexValue(in[i + 1]);
            const int lo = hexValue(in[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<std::int64_t> toInt(const std::string& s) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        return std::nullopt;
    return v;
}

} // namespace

std::expected<void, std::string> FormParams::parse(std::string_view encoded) {
    while (!encoded.empty()) {
        const auto amp = encoded.find('&');
        const std::string_view pair = encoded.substr(0, amp);
        encoded = amp == std::string_view::npos ? std::string_view() : encoded.substr(amp + 1);
        if (pair.empty())
            continue;
        const auto eq = pair.find('=');
        const auto key = decode(pair.substr(0, eq));
        const auto value =
            decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (!key || !value)
            return std::unexpected("malformed %-escape in \"" + std::string(pair.substr(0, 64)) +
                                   "\"");
        m_pairs.emplace_back(std::move(*key), std::move(*value));
    }
    return {};
}

std::optional<std::string> FormParams::first(std::string_view name) const {
    for (const auto& [k, v] : m_pairs)
        if (k == name)
            return v;
    return std::nullopt;
}

std::vector<std::string> FormParams::all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : m_pairs)
        if (k == name)
            out.push_back(v);
    return out;
}

std::expected<std::string, std::string> FormParams::required(std::string_view name) const {
    auto v = first(name);
    if (!v || v->empty())
        return std::unexpected(std::string(name) + " is required");
    return std::move(*v);
}

std::expected<std::vector<std::string>, std::string>
FormParams::requiredList(std::string_view name) const {
    auto list = all(name);
    if (list.empty())
        return std::unexpected(std::string(name) + " is required");
    for (const auto& v : list)
        if (v.empty())
            return std::unexpected(std::string(name) + " must not be empty");
    return list;
}

std::expected<std::int64_t, std::string> FormParams::requiredInt(std::string_view name) const {
    const auto v = first(name);
    if (!v || v->empty())
        return std::unexpected(std::string(name) + " is required");
    const auto n = toInt(*v);
    if (!n)
        return std::unexpected(std::string(name) + " must be an integer");
    return *n;
}

std::expected<std::int64_t, std::string> FormParams::optionalInt(std::string_view name,
                                                                 std::int64_t fallback) const {
    const auto v = first(name);
    if (!v || v->empty())
        return fallback;
    const auto n = toInt(*v);
    if (!n)
        return std::unexpected(std::string(name) + " must be an integer");
    return *n;
}

std::expected<std::vector<std::int64_t>, std::string>
FormParams::intList(std::string_view name) const {
    std::vector<std::int64_t> out;
    for (const auto& v : all(name)) {
        const auto n = toInt(v);
        if (!n)
            return std::unexpected(std::string(name) + " must be integers");
        out.push_back(*n);
    }
    return out;
}

std::expected<bool, std::string> FormParams::optionalBool(std::string_view name) const {
    const auto v = first(name);
    if (!v || v->empty() || *v == "false" || *v == "0")
        return false;
    if (*v == "true" || *v == "1")
        return true;
    return std::unexpected(std::string(name) + " must be true or false");
}

bool isValidUtf8(std::string_view text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
        const unsigned c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int len = 0;
        unsigned lo = 0x80, hi = 0xBF; // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0; // no overlongs
            if (c == 0xED)
                hi = 0x9F; // no surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F; // <= U+10FFFF
        } else {
            return false;
        }
        if (end - p < len || p[1] < lo || p[1] > hi)
            return false;
        for (int i = 2; i < len; ++i)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += len;
    }
    return true;
}

std::optional<std::string> FormParams::firstInvalidUtf8() const {
    for (const auto& [k, v] : m_pairs) {
        if (!isValidUtf8(k))
            return std::string("a parameter name");
        if (!isValidUtf8(v))
            return k;
    }
    return std::nullopt;
}

} // namespace regscope::discoveryd
