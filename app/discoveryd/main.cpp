// regscope-discoveryd: a service-discovery server speaking the bilibili/discovery HTTP API.
// The first stdout line is the bound HOST:PORT (tests start it with port 0 and read it).

#include "app/discoveryd/DiscoveryApi.h"
#include "app/discoveryd/HttpServer.h"
#include "app/discoveryd/ServerMetrics.h"
#include "app/discoveryd/ServerOptions.h"
#include "models/discovery/Clock.h"
#include "models/discovery/DiscoveryRegistry.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <string>
#include <sys/resource.h>
#include <vector>

namespace {

// Thousands of parked long-polls need thousands of descriptors: take what we may, and say
// so when the connection cap is still above what the process can open.
void raiseDescriptorLimit(std::size_t maxConnections) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
            getrlimit(RLIMIT_NOFILE, &lim);
    }
    constexpr rlim_t kReserve = 32; // listener, stdio, timers, eventfd...
    if (lim.rlim_cur != RLIM_INFINITY && maxConnections + kReserve > lim.rlim_cur)
        std::fprintf(
            stderr,
            "regscope-discoveryd: warning: --max-connections %zu is above the "
            "descriptor limit %llu (RLIMIT_NOFILE, hard limit %llu): past about %llu "
            "open connections accept() fails with EMFILE, and the server backs off "
            "and sheds connections that have not sent a whole request\n",
            maxConnections, static_cast<unsigned long long>(lim.rlim_cur),
            static_cast<unsigned long long>(lim.rlim_max),
            static_cast<unsigned long long>(lim.rlim_cur > kReserve ? lim.rlim_cur - kReserve : 0));
}

} // namespace

int main(int argc, char** argv) {
    using namespace regscope;
    const std::vector<std::string> args(argv + 1, argv + argc);
    auto options = discoveryd::parseOptions(args);
    if (!options) {
        std::fprintf(stderr, "regscope-discoveryd: %s\n%s", options.error().c_str(),
                     discoveryd::usage().c_str());
        return 2;
    }
    if (options->help) {
        std::fputs(discoveryd::usage().c_str(), stdout);
        return 0;
    }
    raiseDescriptorLimit(options->maxConnections);

    discovery::SystemClock clock;
    discovery::DiscoveryRegistry registry(options->registry, clock);
    discoveryd::ServerMetrics metrics;
    discoveryd::DiscoveryApi api(registry, metrics);
    boost::asio::io_context io(1);
    discoveryd::HttpServer server(io, api, metrics, registry, *options);
    const auto bound = server.start();
    if (!bound) {
        std::fprintf(stderr, "regscope-discoveryd: %s\n", bound.error().c_str());
        return 1;
    }
    api.setSelfAddress(*bound);
    std::printf("%s\n", bound->c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "regscope-discoveryd: listening on http://%s\n", bound->c_str());

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
    io.run();
    return 0;
}
