// endpoint_host: a real separate host process for the endpoint tests. It embeds the registry
// library, registers what it is told, and answers one command per stdin line, one reply line
// each on stdout (the first line is "READY <socket path>" or "READY -" without an endpoint):
//   dump PATH            write the host's Snapshot() (one JSON object per line) to PATH
//   stream N RATE        starts N changes (register/deregister/alias) at RATE per second on a
//                        thread of their own: "STARTED"
//   wait                 waits for the stream: "DONE <generation>"
//   reload N             a hot reload with N entries
//   lookups              "LOOKUPS <n>": lookups done so far by the lookup thread (--lookups)
//   clients              "CLIENTS <n>": clients the endpoint serves now
//   fork                 fork(); the child reports "CHILD running=<0|1> listening=<0|1>" and exits
//   generation           "GEN <g>"
//   quit                 exit(0) normally (atexit removes the socket)
// Options: --entries N, --env (rely on REGSCOPE_DEBUG=1 instead of Start), --socket PATH,
// --stall-ms N, --queue-bytes N, --lookups, --name NAME, --no-endpoint, --second-registry.

#include "models/registry/DebugEndpoint.h"
#include "models/registry/Registry.h"
#include "tests/attach/fixture_plugin.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace regscope::registry;

namespace {

std::string Arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == name)
            return argv[i + 1];
    return fallback;
}
bool Flag(int argc, char** argv, const std::string& name) {
    for (int i = 1; i < argc; ++i)
        if (argv[i] == name)
            return true;
    return false;
}

void Dump(const RegistryCore& reg, const std::string& path) {
    std::ofstream out(path);
    for (const auto& e : reg.Snapshot()) {
        nlohmann::json j{
            {"tenant", e.tenant},        {"name", e.name}, {"version", e.version},
            {"alias_of", e.aliasOf},     {"kind", e.kind}, {"registered_by", e.registeredBy},
            {"deprecated", e.deprecated}};
        out << j.dump() << "\n";
    }
}

// Deterministic churn: register a new name, deregister an older one, now and then an alias.
void Stream(Registry<fixture::Impl>& reg, long n, double rate, long& counter) {
    const auto period = std::chrono::duration<double>(1.0 / rate);
    auto next = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i, ++counter) {
        const long k = counter;
        if (k % 3 == 2 && k >= 2)
            (void)reg.Deregister({}, "stream-" + std::to_string(k - 2), "1.0.0");
        else if (k % 50 == 49)
            (void)reg.AddAlias({}, {.alias = "alias-" + std::to_string(k),
                                    .target = "stream-" + std::to_string(k - 1),
                                    .message = "use the target"});
        else
            (void)reg.Register("stream-" + std::to_string(k), "1.0.0",
                               std::make_shared<fixture::Impl>(), {.kind = "stream"});
        next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
        // Batches of sleeps: sleeping per change would cap the rate at the timer slack.
        if (i % 64 == 63)
            std::this_thread::sleep_until(next);
    }
}

} // namespace

int main(int argc, char** argv) {
    const long entries = std::atol(Arg(argc, argv, "--entries", "100").c_str());
    const bool env = Flag(argc, argv, "--env");
    const bool noEndpoint = Flag(argc, argv, "--no-endpoint");

    RegistryOptions opts;
    opts.typeName = Arg(argc, argv, "--name", "codec");
    opts.audit = std::make_shared<NullAuditSink>();
    Registry<fixture::Impl> reg(opts);
    std::unique_ptr<Registry<fixture::Impl>> second;
    if (Flag(argc, argv, "--second-registry"))
        second = std::make_unique<Registry<fixture::Impl>>(
            RegistryOptions{.typeName = "driver", .audit = std::make_shared<NullAuditSink>()});

    // Some entries come from the fixture plugin library: their registeredBy names it.
    fixture::RegisterFromPlugin(reg, "plugin-codec");
    for (long i = 0; i < entries; ++i)
        (void)reg.Register("codec-" + std::to_string(i), "1." + std::to_string(i % 7) + ".0",
                           std::make_shared<fixture::Impl>(),
                           {.kind = "compression", .origin = "builtin"});
    (void)reg.Register(Context::Tenant("acme"), "codec-0", "2.0.0",
                       std::make_shared<fixture::Impl>());
    (void)reg.AddAlias({}, {.alias = "zlib", .target = "codec-0", .message = "use codec-0"});
    (void)reg.Register("codec-0", "not-a-version", std::make_shared<fixture::Impl>()); // rejected

    std::string path = "-";
    if (!env && !noEndpoint) {
        debug::EndpointOptions eo;
        eo.processName = "endpoint_host";
        eo.socketPath = Arg(argc, argv, "--socket", "");
        eo.stallTimeout =
            std::chrono::milliseconds(std::atol(Arg(argc, argv, "--stall-ms", "5000").c_str()));
        eo.clientQueueBytes =
            std::strtoul(Arg(argc, argv, "--queue-bytes", "8388608").c_str(), nullptr, 10);
        auto started = debug::Start(eo);
        if (!started) {
            std::cout << "ERROR " << started.error().message << std::endl;
            return 2;
        }
        path = *started;
    } else if (env) {
        path = debug::Running() ? debug::SocketPath() : "-";
    }
    std::cout << "READY " << path << std::endl;

    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> lookups{0};
    std::thread looker;
    if (Flag(argc, argv, "--lookups"))
        looker = std::thread([&] {
            std::uint64_t n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                for (int i = 0; i < 1000; ++i)
                    (void)reg.Lookup(i % 2 ? "codec-1" : "missing");
                n += 1000;
                lookups.store(n, std::memory_order_relaxed);
            }
            reg.ReleaseThreadCache();
        });

    long counter = 0;
    std::thread streamer;
    auto join = [&] {
        if (streamer.joinable())
            streamer.join();
    };
    std::string line;
    while (std::getline(std::cin, line)) {
        const auto space = line.find(' ');
        const std::string cmd = line.substr(0, space);
        const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
        if (cmd == "dump") {
            Dump(reg, rest);
            std::cout << "OK" << std::endl;
        } else if (cmd == "stream") {
            long n = 0;
            double rate = 0;
            std::sscanf(rest.c_str(), "%ld %lf", &n, &rate);
            join();
            streamer = std::thread([&reg, n, rate, &counter] {
                Stream(reg, n, rate, counter);
                reg.ReleaseThreadCache();
            });
            std::cout << "STARTED" << std::endl;
        } else if (cmd == "wait") {
            join();
            std::cout << "DONE " << reg.Generation() << std::endl;
        } else if (cmd == "reload") {
            std::vector<Registration<fixture::Impl>> set;
            for (long i = 0; i < std::atol(rest.c_str()); ++i)
                set.push_back({"",
                               "reloaded-" + std::to_string(i),
                               "1.0.0",
                               std::make_shared<fixture::Impl>(),
                               {}});
            (void)reg.Reload({}, std::move(set));
            std::cout << "DONE " << reg.Generation() << std::endl;
        } else if (cmd == "lookups") {
            std::cout << "LOOKUPS " << lookups.load() << std::endl;
        } else if (cmd == "clients") {
            std::cout << "CLIENTS " << debug::ClientCount() << std::endl;
        } else if (cmd == "generation") {
            std::cout << "GEN " << reg.Generation() << std::endl;
        } else if (cmd == "fork") {
            std::cout.flush();
            const pid_t child = ::fork();
            if (child == 0) {
                // Is the parent's listening socket still open here? Probe every descriptor.
                bool listening = false;
                for (int fd = 3; fd < 1024; ++fd) {
                    int accept = 0;
                    socklen_t len = sizeof accept;
                    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accept, &len) == 0 && accept)
                        listening = true;
                }
                std::cout << "CHILD running=" << debug::Running() << " listening=" << listening
                          << std::endl;
                std::exit(0); // atexit runs: it must not remove the parent's socket
            }
            int status = 0;
            ::waitpid(child, &status, 0);
            std::cout << "PARENT child=" << WEXITSTATUS(status) << std::endl;
        } else if (cmd == "quit") {
            break;
        } else {
            std::cout << "ERROR unknown command" << std::endl;
        }
    }
    join();
    stop.store(true);
    if (looker.joinable())
        looker.join();
    second.reset();
    return 0;
}
