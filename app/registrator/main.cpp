// regscope-registrator: run a service and keep it registered while it runs.
//   regscope-registrator --discovery URL --appid A --env E --zone Z --addr URL [...] -- cmd args
//   regscope-registrator --etcd HOST:PORT[,HOST:PORT] --key K [--value V] [--ttl S] -- cmd args

#include "app/registrator/DiscoveryBackend.h"
#include "app/registrator/Registrator.h"
#include "models/discovery/DurationText.h"
#ifdef REGSCOPE_REGISTRATOR_ETCD
#include "app/registrator/EtcdBackend.h"
#endif

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace regscope;
using std::chrono::milliseconds;

const char* kUsage =
    "usage: regscope-registrator --discovery URL --appid A --env E --zone Z --addr URL\n"
    "           [--addr URL...] [--hostname H] [--region R] [--version V] [--metadata JSON]\n"
    "           [--status 1|2] [--renew-interval 30s] [--retry-min 500ms] [--retry-max 30s]\n"
    "           [--call-timeout 5s] [--grace 10s] -- COMMAND [ARGS...]\n"
    "   or: regscope-registrator --etcd HOST:PORT[,HOST:PORT...] --key KEY [--value V]\n"
    "           [--ttl SECONDS] [...same timing flags] -- COMMAND [ARGS...]\n"
    "Starts COMMAND, registers it, renews while it runs, cancels when it exits or on\n"
    "SIGTERM/SIGINT, registers again when the server forgot it (-404, lease gone), retries\n"
    "with backoff while the server is down. With --etcd the key lives on a lease of --ttl\n"
    "seconds (default 10), kept alive every TTL/3 and revoked on exit.\n"
    "Exits with COMMAND's status.\n";

int fail(const std::string& message) {
    std::fprintf(stderr, "regscope-registrator: %s\n%s", message.c_str(), kUsage);
    return 2;
}

std::string localHostname() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0)
        return "localhost";
    return buf;
}

} // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::vector<std::string>> flags;
    std::vector<std::string> command;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") {
            command.assign(argv + i + 1, argv + argc);
            break;
        }
        if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (!a.starts_with("--") || i + 1 >= argc)
            return fail("bad argument " + a);
        flags[a.substr(2)].push_back(argv[++i]);
    }
    const auto one = [&flags](const std::string& name, std::string fallback = {}) {
        const auto it = flags.find(name);
        return it == flags.end() ? fallback : it->second.back();
    };
    static const std::vector<std::string> known{
        "discovery",      "appid",     "env",       "zone",         "addr",
        "hostname",       "region",    "version",   "metadata",     "status",
        "renew-interval", "retry-min", "retry-max", "call-timeout", "grace",
        "etcd",           "key",       "value",     "ttl"};
    for (const auto& [name, values] : flags)
        if (std::find(known.begin(), known.end(), name) == known.end())
            return fail("unknown flag --" + name);
    if (command.empty())
        return fail("missing -- COMMAND");

    registrator::SupervisorOptions sup;
    sup.command = command;
    std::map<std::string, milliseconds*> durations{{"retry-min", &sup.retryMin},
                                                   {"retry-max", &sup.retryMax},
                                                   {"call-timeout", &sup.callTimeout},
                                                   {"grace", &sup.grace}};
    milliseconds renewInterval{30'000};
    durations["renew-interval"] = &renewInterval;
    for (const auto& [name, target] : durations) {
        if (!flags.contains(name))
            continue;
        const auto d = discovery::parseDuration(one(name));
        if (!d || d->count() <= 0)
            return fail("--" + name + ": bad duration " + one(name));
        *target = std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(*d));
    }

    // One backend per registry kind; exactly one must be chosen.
    std::unique_ptr<registrator::RegistrationBackend> backend;
    if (flags.contains("discovery")) {
        auto url = registrator::parseHttpUrl(one("discovery"));
        if (!url)
            return fail("--discovery: " + url.error());
        registrator::DiscoveryInstance inst;
        inst.appid = one("appid");
        inst.env = one("env");
        inst.zone = one("zone");
        inst.hostname = one("hostname", localHostname());
        inst.region = one("region");
        inst.version = one("version");
        inst.metadata = one("metadata");
        inst.addrs = flags["addr"];
        for (const char* required : {"appid", "env", "zone"})
            if (one(required).empty())
                return fail(std::string("--") + required + " is required");
        if (inst.addrs.empty())
            return fail("--addr is required (scheme://ip:port)");
        for (const auto& a : inst.addrs)
            if (a.find("://") == std::string::npos)
                return fail("--addr must look like scheme://ip:port, got " + a);
        const std::string status = one("status", "1");
        if (status != "1" && status != "2")
            return fail("--status must be 1 (UP) or 2 (WAITING)");
        inst.status = status == "1" ? 1 : 2;
        if (!inst.metadata.empty()) {
            const auto j = nlohmann::json::parse(inst.metadata, nullptr, false);
            if (j.is_discarded() || !j.is_object())
                return fail("--metadata must be a JSON object");
        }
        backend = std::make_unique<registrator::DiscoveryBackend>(*url, one("discovery"),
                                                                  std::move(inst), renewInterval);
    }
    if (flags.contains("etcd")) {
        if (backend)
            return fail("choose one registry: --discovery or --etcd, not both");
#ifdef REGSCOPE_REGISTRATOR_ETCD
        if (one("key").empty())
            return fail("--key is required with --etcd");
        regscope::EtcdRegistrationOptions o;
        o.connection.endpoints = QString::fromStdString(one("etcd")).split(u',');
        o.key = QByteArray::fromStdString(one("key"));
        o.value = QByteArray::fromStdString(one("value", one("addr")));
        const std::string ttl = one("ttl", "10");
        char* end = nullptr;
        const long long seconds = std::strtoll(ttl.c_str(), &end, 10);
        if (end == ttl.c_str() || *end != '\0' || seconds < 2 || seconds > 86400)
            return fail("--ttl must be whole seconds from 2 to 86400, got " + ttl);
        o.ttlSeconds = seconds;
        backend = std::make_unique<registrator::EtcdBackend>(std::move(o));
#else
        return fail("--etcd: this build has no etcd support (REGSCOPE_WITH_ETCD=OFF)");
#endif
    }
    if (!backend)
        return fail("choose a registry: --discovery URL or --etcd ENDPOINTS");

    registrator::Registrator r(*backend, sup);
    return r.run();
}
