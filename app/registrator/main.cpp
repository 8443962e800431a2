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
#include <expected>
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

using Flags = std::map<std::string, std::vector<std::string>>;
using Backend = std::unique_ptr<registrator::RegistrationBackend>;

std::string one(const Flags& flags, const std::string& name, std::string fallback = {}) {
    const auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second.back();
}

struct Args {
    Flags flags;
    std::vector<std::string> command;
    bool help = false;
};

std::expected<Args, std::string> parseArgs(int argc, char** argv) {
    Args out;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") {
            out.command.assign(argv + i + 1, argv + argc);
            break;
        }
        if (a == "-h" || a == "--help") {
            out.help = true;
            return out;
        }
        if (!a.starts_with("--") || i + 1 >= argc)
            return std::unexpected("bad argument " + a);
        out.flags[a.substr(2)].push_back(argv[++i]);
    }
    static const std::vector<std::string> known{
        "discovery",      "appid",     "env",       "zone",         "addr",
        "hostname",       "region",    "version",   "metadata",     "status",
        "renew-interval", "retry-min", "retry-max", "call-timeout", "grace",
        "etcd",           "key",       "value",     "ttl"};
    for (const auto& [name, values] : out.flags)
        if (std::find(known.begin(), known.end(), name) == known.end())
            return std::unexpected("unknown flag --" + name);
    if (out.command.empty())
        return std::unexpected(std::string("missing -- COMMAND"));
    return out;
}

// The timing flags into the supervisor's options; the renew interval is returned.
std::expected<milliseconds, std::string> parseTimings(const Flags& flags,
                                                      registrator::SupervisorOptions& sup) {
    milliseconds renewInterval{30'000};
    const std::map<std::string, milliseconds*> durations{{"retry-min", &sup.retryMin},
                                                         {"retry-max", &sup.retryMax},
                                                         {"call-timeout", &sup.callTimeout},
                                                         {"grace", &sup.grace},
                                                         {"renew-interval", &renewInterval}};
    for (const auto& [name, target] : durations) {
        if (!flags.contains(name))
            continue;
        const auto d = discovery::parseDuration(one(flags, name));
        if (!d || d->count() <= 0)
            return std::unexpected("--" + name + ": bad duration " + one(flags, name));
        *target = std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(*d));
    }
    return renewInterval;
}

std::expected<Backend, std::string> discoveryBackend(const Flags& flags,
                                                     milliseconds renewInterval) {
    auto url = registrator::parseHttpUrl(one(flags, "discovery"));
    if (!url)
        return std::unexpected("--discovery: " + url.error());
    registrator::DiscoveryInstance inst;
    inst.appid = one(flags, "appid");
    inst.env = one(flags, "env");
    inst.zone = one(flags, "zone");
    inst.hostname = one(flags, "hostname", localHostname());
    inst.region = one(flags, "region");
    inst.version = one(flags, "version");
    inst.metadata = one(flags, "metadata");
    if (const auto it = flags.find("addr"); it != flags.end())
        inst.addrs = it->second;
    for (const char* required : {"appid", "env", "zone"})
        if (one(flags, required).empty())
            return std::unexpected(std::string("--") + required + " is required");
    if (inst.addrs.empty())
        return std::unexpected(std::string("--addr is required (scheme://ip:port)"));
    for (const auto& a : inst.addrs)
        if (a.find("://") == std::string::npos)
            return std::unexpected("--addr must look like scheme://ip:port, got " + a);
    const std::string status = one(flags, "status", "1");
    if (status != "1" && status != "2")
        return std::unexpected(std::string("--status must be 1 (UP) or 2 (WAITING)"));
    inst.status = status == "1" ? 1 : 2;
    if (!inst.metadata.empty()) {
        const auto j = nlohmann::json::parse(inst.metadata, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return std::unexpected(std::string("--metadata must be a JSON object"));
    }
    return std::make_unique<registrator::DiscoveryBackend>(*url, one(flags, "discovery"),
                                                           std::move(inst), renewInterval);
}

std::expected<Backend, std::string> etcdBackend(const Flags& flags) {
#ifdef REGSCOPE_REGISTRATOR_ETCD
    if (one(flags, "key").empty())
        return std::unexpected(std::string("--key is required with --etcd"));
    regscope::EtcdRegistrationOptions o;
    o.connection.endpoints = QString::fromStdString(one(flags, "etcd")).split(u',');
    o.key = QByteArray::fromStdString(one(flags, "key"));
    o.value = QByteArray::fromStdString(one(flags, "value", one(flags, "addr")));
    const std::string ttl = one(flags, "ttl", "10");
    char* end = nullptr;
    const long long seconds = std::strtoll(ttl.c_str(), &end, 10);
    if (end == ttl.c_str() || *end != '\0' || seconds < 2 || seconds > 86400)
        return std::unexpected("--ttl must be whole seconds from 2 to 86400, got " + ttl);
    o.ttlSeconds = seconds;
    return std::make_unique<registrator::EtcdBackend>(std::move(o));
#else
    (void)flags;
    return std::unexpected(
        std::string("--etcd: this build has no etcd support (REGSCOPE_WITH_ETCD=OFF)"));
#endif
}

// One backend per registry kind; exactly one must be chosen.
std::expected<Backend, std::string> chooseBackend(const Flags& flags, milliseconds renewInterval) {
    const bool discovery = flags.contains("discovery");
    const bool etcd = flags.contains("etcd");
    if (discovery && etcd)
        return std::unexpected(std::string("choose one registry: --discovery or --etcd, not both"));
    if (discovery)
        return discoveryBackend(flags, renewInterval);
    if (etcd)
        return etcdBackend(flags);
    return std::unexpected(std::string("choose a registry: --discovery URL or --etcd ENDPOINTS"));
}

} // namespace

int main(int argc, char** argv) {
    auto args = parseArgs(argc, argv);
    if (!args)
        return fail(args.error());
    if (args->help) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    registrator::SupervisorOptions sup;
    sup.command = args->command;
    const auto renewInterval = parseTimings(args->flags, sup);
    if (!renewInterval)
        return fail(renewInterval.error());
    auto backend = chooseBackend(args->flags, *renewInterval);
    if (!backend)
        return fail(backend.error());
    registrator::Registrator r(**backend, sup);
    return r.run();
}
