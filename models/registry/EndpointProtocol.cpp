#include "models/registry/EndpointProtocol.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

namespace regscope::registry::protocol {
namespace {

std::string Head(int version) {
    return std::string(kLinePrefix) + std::to_string(version) + "|" + std::string(kMagic);
}

// For messages: the first 40 bytes, printable ASCII kept, everything else as \xNN.
std::string Excerpt(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < 40; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (s.size() > 40)
        out += "...";
    return out;
}

std::optional<int> ParseInt(std::string_view s) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        return std::nullopt;
    return v;
}

// Splits "a|b|c" into at most `n` fields (the last keeps any further '|').
std::vector<std::string_view> Fields(std::string_view s, std::size_t n) {
    std::vector<std::string_view> out;
    while (out.size() + 1 < n) {
        auto bar = s.find('|');
        if (bar == std::string_view::npos)
            break;
        out.push_back(s.substr(0, bar));
        s.remove_prefix(bar + 1);
    }
    out.push_back(s);
    return out;
}

} // namespace

std::string ClientHello(int version) {
    return Head(version) + "\n";
}

std::string ServerOk() {
    return Head(kVersion) + "|ok\n";
}

std::string ServerRefusal(std::string_view reason) {
    std::string r(reason.substr(0, kMaxLine - 64));
    for (char& c : r)
        if (c == '\n' || c == '\r')
            c = ' ';
    return Head(kVersion) + "|refused|" + r + "\n";
}

std::expected<void, std::string> CheckClientHello(std::string_view line, long hostPid) {
    const auto notOurs = [&] {
        return std::unexpected("not a regscope attach handshake: \"" + Excerpt(line) + "\"");
    };
    if (!line.starts_with(kLinePrefix))
        return notOurs();
    auto f = Fields(line.substr(kLinePrefix.size()), 3);
    if (f.size() != 2 || f[1] != kMagic)
        return notOurs();
    auto version = ParseInt(f[0]);
    if (!version)
        return notOurs();
    if (*version != kVersion)
        return std::unexpected("protocol version " + std::to_string(*version) +
                               " is not supported: this host (pid " + std::to_string(hostPid) +
                               ") speaks attach protocol " + std::to_string(kVersion));
    return {};
}

std::expected<void, std::string> CheckServerAnswer(std::string_view line, int version) {
    if (!line.starts_with(kLinePrefix))
        return std::unexpected("not a regscope debug endpoint: \"" + Excerpt(line) + "\"");
    auto f = Fields(line.substr(kLinePrefix.size()), 4);
    if (f.size() < 3 || f[1] != kMagic || !ParseInt(f[0]))
        return std::unexpected("not a regscope debug endpoint: \"" + Excerpt(line) + "\"");
    if (f[2] == "refused")
        return std::unexpected("host refused the attach: " +
                               std::string(f.size() > 3 ? f[3] : "no reason given"));
    if (*ParseInt(f[0]) != version)
        return std::unexpected("host speaks attach protocol " + std::string(f[0]) +
                               "; this regscope speaks " + std::to_string(version));
    if (f[2] != "ok" || f.size() != 3)
        return std::unexpected("not a regscope debug endpoint: \"" + Excerpt(line) + "\"");
    return {};
}

void AppendFrame(std::string& out, std::string_view json) {
    const auto n = static_cast<std::uint32_t>(json.size());
    const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                         static_cast<char>(n >> 8), static_cast<char>(n)};
    out.append(len, 4);
    out.append(json);
}

std::string EncodeFrame(std::string_view json) {
    std::string out;
    out.reserve(json.size() + 4);
    AppendFrame(out, json);
    return out;
}

std::expected<std::optional<std::string>, std::string> FrameDecoder::Next() {
    if (buffer_.size() - offset_ < 4)
        return std::optional<std::string>{};
    const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
    const std::size_t n = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                          (std::size_t{p[2]} << 8) | std::size_t{p[3]};
    if (n == 0 || n > max_)
        return std::unexpected("frame length " + std::to_string(n) + " is outside 1.." +
                               std::to_string(max_));
    if (buffer_.size() - offset_ < 4 + n)
        return std::optional<std::string>{};
    std::string frame = buffer_.substr(offset_ + 4, n);
    offset_ += 4 + n;
    if (offset_ > 65536 && offset_ * 2 > buffer_.size()) {
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    return std::optional<std::string>(std::move(frame));
}

std::expected<ClientFrame, std::string> ParseClientFrame(std::string_view json) {
    const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
    const auto type = j.is_object() ? j.find("type") : j.end();
    if (j.is_discarded() || !j.is_object() || type == j.end() || !type->is_string())
        return std::unexpected(
            std::string("a client frame must be a JSON object with a string \"type\""));
    ClientFrame f;
    f.typeName = type->get<std::string>();
    if (f.typeName == "ping") {
        f.type = ClientFrame::Type::Ping;
        if (const auto id = j.find("id"); id != j.end() && id->is_number_integer())
            f.id = id->is_number_unsigned()
                       ? static_cast<std::int64_t>(id->get<std::uint64_t>() & 0x7fffffffffffffffu)
                       : id->get<std::int64_t>();
    } else if (f.typeName == "resync") {
        f.type = ClientFrame::Type::Resync;
        if (const auto name = j.find("registry"); name != j.end() && name->is_string())
            f.registry = name->get<std::string>();
    } else if (f.typeName == "bye") {
        f.type = ClientFrame::Type::Bye;
    }
    return f;
}

void AppendJsonString(std::string& out, std::string_view s) {
    out += '"';
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (c < 0x80) {
            switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default: {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            }
            }
            ++i;
            continue;
        }
        // A well-formed UTF-8 sequence passes as is; anything else becomes U+FFFD.
        std::size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
        if (c >= 0xf5)
            len = 0;
        bool ok = len != 0 && i + len <= n;
        for (std::size_t k = 1; ok && k < len; ++k)
            ok = (p[i + k] & 0xc0) == 0x80;
        if (ok && len == 3) { // no overlongs, no surrogates
            ok = !(c == 0xe0 && p[i + 1] < 0xa0) && !(c == 0xed && p[i + 1] >= 0xa0);
        } else if (ok && len == 4) {
            ok = !(c == 0xf0 && p[i + 1] < 0x90) && !(c == 0xf4 && p[i + 1] >= 0x90);
        }
        if (ok) {
            out.append(s.data() + i, len);
            i += len;
        } else {
            out += "\\ufffd";
            ++i;
        }
    }
    out += '"';
}

JsonWriter& JsonWriter::Double(std::string_view key, double value) {
    Key(key);
    if (!std::isfinite(value)) {
        out_ += "null";
        return *this;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", value);
    out_ += buf;
    return *this;
}

JsonWriter& JsonWriter::DoubleInArray(double value) {
    Comma();
    char buf[32];
    if (!std::isfinite(value))
        out_ += "null";
    else {
        std::snprintf(buf, sizeof buf, "%.9g", value);
        out_ += buf;
    }
    return *this;
}

} // namespace regscope::registry::protocol
