#include "app/discoveryd/ServerOptions.h"

#include "models/discovery/DurationText.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

namespace regscope::discoveryd {

namespace {

using Setter = std::expected<void, std::string> (*)(ServerOptions&, const std::string&);

std::expected<std::size_t, std::string> parseCount(const std::string& text) {
    std::size_t v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size())
        return std::unexpected("not a non-negative integer: \"" + text + "\"");
    return v;
}

std::expected<void, std::string> setListen(ServerOptions& o, const std::string& v) {
    const auto colon = v.rfind(':');
    if (colon == std::string::npos || colon == 0)
        return std::unexpected("expected HOST:PORT, got \"" + v + "\"");
    const auto port = parseCount(v.substr(colon + 1));
    if (!port || *port > 65535)
        return std::unexpected("bad port in \"" + v + "\"");
    o.host = v.substr(0, colon);
    o.port = static_cast<unsigned short>(*port);
    return {};
}

template <auto Member>
std::expected<void, std::string> setRegistryDuration(ServerOptions& o, const std::string& v) {
    auto d = discovery::parseDuration(v);
    if (!d)
        return std::unexpected(d.error());
    o.registry.*Member = *d;
    return {};
}

template <auto Member>
std::expected<void, std::string> setRegistryCount(ServerOptions& o, const std::string& v) {
    auto n = parseCount(v);
    if (!n)
        return std::unexpected(n.error());
    o.registry.*Member = *n;
    return {};
}

template <auto Member>
std::expected<void, std::string> setServerCount(ServerOptions& o, const std::string& v) {
    auto n = parseCount(v);
    if (!n)
        return std::unexpected(n.error());
    o.*Member = *n;
    return {};
}

template <auto Member>
std::expected<void, std::string> setServerMs(ServerOptions& o, const std::string& v) {
    auto d = discovery::parseDuration(v);
    if (!d)
        return std::unexpected(d.error());
    o.*Member = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    return {};
}

std::expected<void, std::string> setPercent(ServerOptions& o, const std::string& v) {
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (end != v.c_str() + v.size() || v.empty() || !(d >= 0.0 && d <= 1.0))
        return std::unexpected("expected a fraction in [0, 1], got \"" + v + "\"");
    o.registry.percentThreshold = d;
    return {};
}

std::expected<void, std::string> setZone(ServerOptions& o, const std::string& v) {
    if (v.empty())
        return std::unexpected(std::string("zone must not be empty"));
    o.registry.zone = v;
    return {};
}

std::expected<void, std::string> setSeed(ServerOptions& o, const std::string& v) {
    auto n = parseCount(v);
    if (!n)
        return std::unexpected(n.error());
    o.registry.seed = *n;
    return {};
}

const std::map<std::string, std::pair<Setter, const char*>>& setters() {
    using C = discovery::DiscoveryConfig;
    static const std::map<std::string, std::pair<Setter, const char*>> table{
        {"listen", {&setListen, "HOST:PORT to listen on (port 0: any free port)"}},
        {"renew-interval",
         {&setRegistryDuration<&C::renewInterval>, "client renew interval (30s)"}},
        {"evict-interval", {&setRegistryDuration<&C::evictInterval>, "eviction pass period (60s)"}},
        {"evict-threshold",
         {&setRegistryDuration<&C::evictThreshold>, "evict when not renewed for (90s)"}},
        {"evict-ceiling",
         {&setRegistryDuration<&C::evictCeiling>, "evict even under self-protection (3600s)"}},
        {"reset-expected-interval",
         {&setRegistryDuration<&C::resetExpectedInterval>, "recompute expected renews (15m)"}},
        {"poll-timeout",
         {&setRegistryDuration<&C::pollTimeout>, "long-poll wait before -304 (30s)"}},
        {"percent-threshold", {&setPercent, "self-protection / eviction cap fraction (0.85)"}},
        {"max-instances", {&setRegistryCount<&C::maxInstances>, "instance quota, total (100000)"}},
        {"max-instances-per-app",
         {&setRegistryCount<&C::maxInstancesPerApp>, "instance quota per appid (10000)"}},
        {"max-apps", {&setRegistryCount<&C::maxApps>, "appid quota (10000)"}},
        {"max-parked-polls",
         {&setRegistryCount<&C::maxParkedPolls>, "parked long-poll quota (50000)"}},
        {"max-body", {&setServerCount<&ServerOptions::maxBodyBytes>, "request body cap (65536)"}},
        {"max-header",
         {&setServerCount<&ServerOptions::maxHeaderBytes>,
          "request line + headers cap, HTTP 431 past it (65536)"}},
        {"max-connections",
         {&setServerCount<&ServerOptions::maxConnections>,
          "open connection cap; at it, connections without a whole request are shed (16000)"}},
        {"max-write-queue",
         {&setServerCount<&ServerOptions::maxWriteQueue>,
          "reply bytes queued for one connection, HTTP 503 past it (67108864)"}},
        {"max-write-queue-total",
         {&setServerCount<&ServerOptions::maxWriteQueueTotal>,
          "reply bytes queued for all connections, shared replies once (134217728)"}},
        {"idle-timeout",
         {&setServerMs<&ServerOptions::idleTimeout>, "close idle keep-alive connections (60s)"}},
        {"header-timeout",
         {&setServerMs<&ServerOptions::headerTimeout>,
          "a request must be complete this long after its first byte (10s)"}},
        {"write-timeout",
         {&setServerMs<&ServerOptions::writeTimeout>,
          "close a connection whose reply makes no progress this long (10s)"}},
        {"tick", {&setServerMs<&ServerOptions::tick>, "housekeeping period (derived)"}},
        {"zone", {&setZone, "zone reported by /discovery/nodes (local)"}},
        {"seed", {&setSeed, "random seed of the eviction order (0: random)"}},
    };
    return table;
}

std::string normalise(std::string key) {
    for (char& c : key)
        if (c == '_')
            c = '-';
    return key;
}

std::expected<void, std::string> applyConfigFile(ServerOptions& o, const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return std::unexpected("cannot read config file " + path);
    std::stringstream text;
    text << in.rdbuf();
    const auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return std::unexpected("config file " + path + " is not a JSON object");
    for (const auto& [rawKey, value] : j.items()) {
        const std::string key = normalise(rawKey);
        const auto it = setters().find(key);
        if (it == setters().end())
            return std::unexpected("config file " + path + ": unknown key \"" + rawKey + "\"");
        std::string v;
        if (value.is_string())
            v = value.get<std::string>();
        else if (value.is_number_integer())
            v = std::to_string(value.get<long long>());
        else if (value.is_number())
            v = value.dump();
        else
            return std::unexpected("config file " + path + ": \"" + rawKey +
                                   "\" must be a string or a number");
        if (auto r = it->second.first(o, v); !r)
            return std::unexpected("config file " + path + ": " + rawKey + ": " + r.error());
    }
    return {};
}

} // namespace

std::expected<ServerOptions, std::string> parseOptions(const std::vector<std::string>& args) {
    ServerOptions o;
    std::vector<std::pair<std::string, std::string>> flags;
    std::string configPath;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string a = args[i];
        if (a == "-h" || a == "--help") {
            o.help = true;
            return o;
        }
        if (!a.starts_with("--"))
            return std::unexpected("unexpected argument \"" + a + "\"");
        a = a.substr(2);
        std::string value;
        if (const auto eq = a.find('='); eq != std::string::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
        } else {
            if (i + 1 >= args.size())
                return std::unexpected("--" + a + " needs a value");
            value = args[++i];
        }
        if (a == "config") {
            configPath = value;
            continue;
        }
        if (!setters().contains(a))
            return std::unexpected("unknown flag --" + a);
        flags.emplace_back(a, value);
    }
    // The file first, so flags override it.
    if (!configPath.empty())
        if (auto r = applyConfigFile(o, configPath); !r)
            return std::unexpected(r.error());
    for (const auto& [flag, value] : flags)
        if (auto r = setters().at(flag).first(o, value); !r)
            return std::unexpected("--" + flag + ": " + r.error());
    return o;
}

std::string usage() {
    std::string out = "usage: regscope-discoveryd [--listen HOST:PORT] [--config FILE] [flags]\n"
                      "A service-discovery server speaking the bilibili/discovery HTTP API.\n"
                      "Durations: 30s, 200ms, 15m, 1h (bare numbers are seconds). The config\n"
                      "file is a JSON object with the same keys (dashes or underscores).\n\n";
    out += "  --config FILE  read settings from a JSON file (flags win)\n";
    for (const auto& [name, entry] : setters())
        out += "  --" + name + "  " + entry.second + "\n";
    return out;
}

} // namespace regscope::discoveryd
