#include "models/discovery/JsonWriter.h"

#include <charconv>
#include <cstdint>

namespace regscope::discovery {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0.
std::size_t utf8Length(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t min = 0;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + n > s.size())
        return 0;
    std::uint32_t cp = c & (0xFFu >> (n + 1));
    for (std::size_t k = 1; k < n; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

void appendInt(std::string& out, std::int64_t v) {
    char buf[24];
    const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, p);
}

// ,"key":  (no comma before the first key)
void key(std::string& out, std::string_view k, bool first = false) {
    if (!first)
        out += ',';
    out += '"';
    out += k;
    out += "\":";
}

} // namespace

void appendJsonString(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            const std::size_t n = utf8Length(s, i);
            if (n == 0) {
                out += "\\ufffd";
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        if (c == '"') {
            out += "\\\"";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
        ++i;
    }
    out += '"';
}

void appendJson(std::string& out, const Instance& i) {
    out += '{';
    key(out, "addrs", true);
    out += '[';
    for (std::size_t k = 0; k < i.addrs.size(); ++k) {
        if (k)
            out += ',';
        appendJsonString(out, i.addrs[k]);
    }
    out += ']';
    key(out, "appid");
    appendJsonString(out, i.appid);
    key(out, "dirty_timestamp");
    appendInt(out, i.dirtyTimestamp);
    key(out, "env");
    appendJsonString(out, i.env);
    key(out, "hostname");
    appendJsonString(out, i.hostname);
    key(out, "latest_timestamp");
    appendInt(out, i.latestTimestamp);
    key(out, "metadata");
    out += '{';
    bool first = true;
    for (const auto& [k, v] : i.metadata) {
        if (!first)
            out += ',';
        first = false;
        appendJsonString(out, k);
        out += ':';
        appendJsonString(out, v);
    }
    out += '}';
    key(out, "reg_timestamp");
    appendInt(out, i.regTimestamp);
    key(out, "region");
    appendJsonString(out, i.region);
    key(out, "renew_timestamp");
    appendInt(out, i.renewTimestamp);
    key(out, "status");
    appendInt(out, i.status);
    key(out, "up_timestamp");
    appendInt(out, i.upTimestamp);
    key(out, "version");
    appendJsonString(out, i.version);
    key(out, "zone");
    appendJsonString(out, i.zone);
    out += '}';
}

void appendJson(std::string& out, const InstanceInfo& info) {
    out += "{\"instances\":{";
    bool firstZone = true;
    for (const auto& [zone, list] : info.instances) {
        if (!firstZone)
            out += ',';
        firstZone = false;
        appendJsonString(out, zone);
        out += ":[";
        for (std::size_t k = 0; k < list.size(); ++k) {
            if (k)
                out += ',';
            appendJson(out, list[k]);
        }
        out += ']';
    }
    out += "},\"latest_timestamp\":";
    appendInt(out, info.latestTimestamp);
    out += '}';
}

std::string envelopeRaw(Code code, std::string_view message, std::string_view dataJson) {
    std::string out;
    out.reserve(dataJson.size() + message.size() + 48);
    out += "{\"code\":";
    appendInt(out, static_cast<int>(code));
    if (!dataJson.empty()) {
        out += ",\"data\":";
        out += dataJson;
    }
    out += ",\"message\":";
    appendJsonString(out, message);
    out += ",\"ttl\":1}";
    return out;
}

} // namespace regscope::discovery
