// bench_discoveryd: regscope-discoveryd with 10,000 registered instances on loopback —
// renew throughput and fetch p99 while 2,000 long-polls stay parked — against the same
// number of etcd lease keep-alives on a local single-member etcd, in the same run:
// - over gRPC LeaseKeepAlive streams, as real etcd clients renew (regscope's EtcdClient):
//   64 ping-pong streams (8 per channel), and pipelined as clientv3's lessor does (one
//   stream with 64 in flight; 8 streams with 8 each). The best of them is the anchor;
// - over the HTTP/JSON gateway, with the same load client as discoveryd (kept beside it).
// Every shape has the same number of requests in flight (BENCH_INFLIGHT, 64): discoveryd
// renews go as 64 connections x 1, 8 x 8 pipelined and 1 x 64 pipelined (HTTP/1.1's
// analogue of a stream's keep-alives in flight), the best of them against the best etcd.
// Prints the ratios against both anchors, with PASS/FAIL against the goal (>= 5x gRPC).
//
//   bench_discoveryd [--benchmark_* flags]
// Env: BENCH_INSTANCES (10000), BENCH_POLLS (2000), BENCH_INFLIGHT (64),
//      BENCH_REQUESTS (20000 per iteration; renews 5x that), BENCH_ROUNDS (2: renew and gRPC shapes
//      take turns), BENCH_CLIENT_THREADS (1, the HTTP load
//      client's epoll threads), ETCD (path of etcd, default /usr/bin/etcd),
//      DISCOVERYD (path of regscope-discoveryd, default the one built beside this).

#include "LoadClient.h"

#ifdef REGSCOPE_BENCH_GRPC
#include "GrpcAnchor.h"
#endif

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <random>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace regscope::bench;

namespace {

int envInt(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v ? std::atoi(v) : fallback;
}

const int kInstances = envInt("BENCH_INSTANCES", 10'000);
const int kPolls = envInt("BENCH_POLLS", 2'000);
const int kInFlight = std::max(1, envInt("BENCH_INFLIGHT", 64));
const int kConnections = kInFlight; // the setup steps and fetch: one request per connection
const std::uint64_t kRequests = static_cast<std::uint64_t>(envInt("BENCH_REQUESTS", 20'000));
// Renews are many times faster: more of them per iteration, so both sides are timed over
// spans of about the same length.
const std::uint64_t kRenewRequests = kRequests * 5;
constexpr int kApps = 100;

// A child process whose stdout (and optionally stderr) we read line by line with deadlines.
class Child {
public:
    Child(const std::vector<std::string>& argv, bool captureStderr) {
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0)
            std::abort();
        m_pid = ::fork();
        if (m_pid == 0) {
            ::dup2(out[1], captureStderr ? 2 : 1);
            std::vector<char*> args;
            for (const auto& a : argv)
                args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
            ::_exit(127);
        }
        ::close(out[1]);
        m_fd = out[0];
    }
    ~Child() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        if (m_drain.joinable())
            m_drain.join();
        if (m_fd >= 0)
            ::close(m_fd);
    }
    // Next line containing `needle` (any line if empty), or nullopt at the deadline.
    std::optional<std::string> waitForLine(const std::string& needle,
                                           std::chrono::milliseconds timeout) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto nl = m_buf.find('\n');
            if (nl != std::string::npos) {
                std::string line = m_buf.substr(0, nl);
                m_buf.erase(0, nl + 1);
                if (needle.empty() || line.find(needle) != std::string::npos)
                    return line;
                continue;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                end - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return std::nullopt;
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                continue;
            char chunk[4096];
            const auto n = ::read(m_fd, chunk, sizeof chunk);
            if (n <= 0)
                return std::nullopt;
            m_buf.append(chunk, static_cast<std::size_t>(n));
        }
    }
    // Keep reading (and dropping) its output so it never blocks on a full pipe.
    void drain() {
        m_drain = std::thread([fd = m_fd] {
            char chunk[4096];
            while (::read(fd, chunk, sizeof chunk) > 0) {
            }
        });
    }

private:
    pid_t m_pid = -1;
    int m_fd = -1;
    std::string m_buf;
    std::thread m_drain;
};

unsigned short freePort() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(s);
    return ntohs(a.sin_port);
}

std::string appOf(std::uint64_t i) {
    return "bench.app" + std::to_string(i % kApps);
}

std::string keyForm(std::uint64_t i) {
    return "zone=z1&env=bench&appid=" + appOf(i) + "&hostname=host" + std::to_string(i);
}

bool codeZero(const std::string& body) {
    return body.find("\"code\":0") != std::string::npos;
}

std::string statusBody(unsigned short port) {
    std::string body;
    runLoad(
        "127.0.0.1", port, 1, 1,
        [](std::uint64_t) {
            return Request{"GET", "/status", "", ""};
        },
        [&body](const std::string& b) {
            body = b;
            return true;
        });
    return body;
}

long long jsonInt(const std::string& body, const std::string& key) {
    const auto at = body.find("\"" + key + "\":");
    return at == std::string::npos ? -1 : std::atoll(body.c_str() + at + key.size() + 3);
}

// The best rate of one side over the shapes tried, and the shape that gave it.
struct Best {
    double rate = 0;
    double p99 = 0;
    std::string shape;
    std::uint64_t failed = 0;
    std::map<std::pair<int, int>, double> byShape; // (lanes, per lane) -> best rate
    void offer(const LoadResult& r, const std::string& what, int lanes, int depth) {
        auto& mine = byShape[{lanes, depth}];
        if (r.failed == 0)
            mine = std::max(mine, r.rate());
        failed += r.failed;
        if (r.failed > 0 || r.rate() <= rate)
            return; // a shape that lost requests is no figure
        rate = r.rate();
        p99 = r.percentileUs(99);
        shape = what;
    }
};

struct Figures {
    Best renew;
    Best grpc;
    Best gateway;
    double fetchP50 = 0;
    double fetchP99 = 0;
};

unsigned short g_discoveryPort = 0;
unsigned short g_etcdPort = 0;
std::vector<std::string> g_leases;
std::vector<long long> g_leaseIds;
Figures g_fig;

// Sums the iterations of one benchmark run: its figure is the whole run's rate, not its
// luckiest iteration (short iterations would be favoured by a best-of).
void accumulate(LoadResult& total, const LoadResult& r) {
    total.ok += r.ok;
    total.failed += r.failed;
    total.seconds += r.seconds;
    total.latenciesUs.insert(total.latenciesUs.end(), r.latenciesUs.begin(), r.latenciesUs.end());
}

void report(benchmark::State& state, const LoadResult& r, const char* rateName) {
    state.SetIterationTime(r.seconds);
    state.counters[rateName] = r.rate();
    state.counters["p99_us"] = r.percentileUs(99);
    state.counters["failed"] = static_cast<double>(r.failed);
}

std::string shapeText(int lanes, int depth, const char* lane) {
    return std::to_string(lanes) + " " + lane + (lanes == 1 ? "" : "s") + " x " +
           std::to_string(depth) + " in flight";
}

// Args: connections, requests in flight per connection (HTTP/1.1 pipelining past 1).
void BM_DiscoverydRenew(benchmark::State& state) {
    const int connections = static_cast<int>(state.range(0));
    const int depth = static_cast<int>(state.range(1));
    std::uint64_t base = 0;
    LoadResult total;
    for (auto _ : state) {
        const auto r = runLoad(
            "127.0.0.1", g_discoveryPort, connections, kRenewRequests,
            [base](std::uint64_t i) {
                return Request{"POST", "/discovery/renew", "application/x-www-form-urlencoded",
                               keyForm((base + i) % static_cast<std::uint64_t>(kInstances))};
            },
            codeZero, depth);
        base += kRenewRequests;
        accumulate(total, r);
        report(state, r, "renews_per_s");
    }
    g_fig.renew.offer(total, shapeText(connections, depth, "connection"), connections, depth);
}

void BM_DiscoverydFetch(benchmark::State& state) {
    for (auto _ : state) {
        std::mt19937 rng(7);
        const auto r = runLoad(
            "127.0.0.1", g_discoveryPort, kConnections, kRequests / 4,
            [&rng](std::uint64_t) {
                return Request{"GET", "/discovery/fetch?env=bench&status=3&appid=" + appOf(rng()),
                               "", ""};
            },
            codeZero);
        g_fig.fetchP50 = r.percentileUs(50);
        g_fig.fetchP99 = r.percentileUs(99);
        report(state, r, "fetch_per_s");
        state.counters["p50_us"] = r.percentileUs(50);
    }
}

void BM_EtcdGatewayKeepAlive(benchmark::State& state) {
    const int connections = static_cast<int>(state.range(0));
    const int depth = static_cast<int>(state.range(1));
    std::uint64_t base = 0;
    LoadResult total;
    for (auto _ : state) {
        const auto r = runLoad(
            "127.0.0.1", g_etcdPort, connections, kRequests,
            [base](std::uint64_t i) {
                return Request{"POST", "/v3/lease/keepalive", "application/json",
                               "{\"ID\":\"" + g_leases[(base + i) % g_leases.size()] + "\"}"};
            },
            [](const std::string& b) { return b.find("\"TTL\"") != std::string::npos; }, depth);
        base += kRequests;
        accumulate(total, r);
        report(state, r, "keepalives_per_s");
    }
    g_fig.gateway.offer(total, shapeText(connections, depth, "connection"), connections, depth);
}

#ifdef REGSCOPE_BENCH_GRPC
// Args: streams, keep-alives in flight per stream (1: ping-pong, one thread per stream).
void BM_EtcdGrpcKeepAlive(benchmark::State& state) {
    const int streams = static_cast<int>(state.range(0));
    const int window = static_cast<int>(state.range(1));
    GrpcAnchor anchor(g_etcdPort, streams, false);
    if (!anchor.ok()) {
        state.SkipWithError("cannot open LeaseKeepAlive streams on etcd");
        return;
    }
    std::uint64_t base = 0;
    LoadResult total;
    for (auto _ : state) {
        const auto r = anchor.run(g_leaseIds, base, kRequests, window);
        base += kRequests;
        accumulate(total, r);
        report(state, r, "keepalives_per_s");
    }
    g_fig.grpc.offer(total, shapeText(streams, window, "stream"), streams, window);
}
#endif

} // namespace

namespace {

// Every shape has kInFlight requests in flight: lanes x per lane.
std::vector<std::pair<int, int>> inFlightShapes() {
    std::vector<std::pair<int, int>> out{{1, kInFlight}};
    if (kInFlight >= 8 && kInFlight % 8 == 0)
        out.emplace_back(8, kInFlight / 8);
    out.emplace_back(kInFlight, 1);
    return out;
}

// The two sides take turns, shape by shape and round by round (BENCH_ROUNDS, 2), so a
// burst of load from elsewhere on the machine does not fall on one side only.
void registerBenchmarks() {
    const auto add = [](const char* name, void (*fn)(benchmark::State&), int lanes, int depth,
                        int iterations) {
        benchmark::RegisterBenchmark(name, fn)
            ->Args({lanes, depth})
            ->Iterations(iterations)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    };
    const int rounds = std::max(1, envInt("BENCH_ROUNDS", 2));
    for (int round = 0; round < rounds; ++round)
        for (const auto& [lanes, depth] : inFlightShapes()) {
            add("BM_DiscoverydRenew", BM_DiscoverydRenew, lanes, depth, 3);
#ifdef REGSCOPE_BENCH_GRPC
            add("BM_EtcdGrpcKeepAlive", BM_EtcdGrpcKeepAlive, lanes, depth, 3);
#endif
        }
    benchmark::RegisterBenchmark("BM_DiscoverydFetch", BM_DiscoverydFetch)
        ->Iterations(3)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
    for (const auto& [lanes, depth] : inFlightShapes())
        if (lanes > 1) // the gateway is slow: 64 x 1 and 8 x 8
            add("BM_EtcdGatewayKeepAlive", BM_EtcdGatewayKeepAlive, lanes, depth, 2);
}

} // namespace

namespace {

void registerInstances() {
    const auto reg = runLoad(
        "127.0.0.1", g_discoveryPort, kConnections, static_cast<std::uint64_t>(kInstances),
        [](std::uint64_t i) {
            return Request{"POST", "/discovery/register", "application/x-www-form-urlencoded",
                           keyForm(i) + "&status=1&addrs=http%3A%2F%2F10.0.0.1%3A8080&version=1.0"};
        },
        codeZero);
    std::printf("registered %llu instances in %.2f s (%.0f/s), %llu failed\n",
                static_cast<unsigned long long>(reg.ok), reg.seconds, reg.rate(),
                static_cast<unsigned long long>(reg.failed));
}

// etcd: one member on free loopback ports, a temp data dir, the same number of leases.
bool startEtcd(std::optional<Child>& etcd, const std::filesystem::path& dir) {
    g_etcdPort = freePort();
    const unsigned short peer = freePort();
    const std::string client = "http://127.0.0.1:" + std::to_string(g_etcdPort);
    const std::string peerUrl = "http://127.0.0.1:" + std::to_string(peer);
    const char* etcdPath = std::getenv("ETCD") ? std::getenv("ETCD") : "/usr/bin/etcd";
    etcd.emplace(std::vector<std::string>{etcdPath, "--name", "bench", "--data-dir", dir.string(),
                                          "--listen-client-urls", client, "--advertise-client-urls",
                                          client, "--listen-peer-urls", peerUrl,
                                          "--initial-advertise-peer-urls", peerUrl,
                                          "--initial-cluster", "bench=" + peerUrl},
                 true);
    if (!etcd->waitForLine("ready to serve client requests", std::chrono::seconds(30))) {
        std::fprintf(stderr, "bench_discoveryd: etcd did not become ready\n");
        return false;
    }
    etcd->drain();
    g_leases.resize(static_cast<std::size_t>(kInstances));
    const auto grants = runLoad(
        "127.0.0.1", g_etcdPort, kConnections, static_cast<std::uint64_t>(kInstances),
        [](std::uint64_t) {
            return Request{"POST", "/v3/lease/grant", "application/json", "{\"TTL\":\"600\"}"};
        },
        [](const std::string& b) {
            static std::size_t next = 0;
            const auto at = b.find("\"ID\":\"");
            if (at == std::string::npos)
                return false;
            g_leases[next++ % g_leases.size()] = b.substr(at + 6, b.find('"', at + 6) - at - 6);
            return true;
        });
    for (const auto& id : g_leases)
        g_leaseIds.push_back(std::atoll(id.c_str()));
    std::printf("granted %llu etcd leases in %.2f s, %llu failed\n",
                static_cast<unsigned long long>(grants.ok), grants.seconds,
                static_cast<unsigned long long>(grants.failed));
    return true;
}

void printBest(const char* what, const Best& b) {
    std::printf("%-30s %9.0f /s  p99 %7.0f us  (best shape: %s; %llu failed over all)\n", what,
                b.rate, b.p99, b.shape.empty() ? "none" : b.shape.c_str(),
                static_cast<unsigned long long>(b.failed));
}

void printSummary(long long stillParked, int answeredEarly) {
    std::printf("\n== bench_discoveryd summary (%d instances / leases, %d requests in flight in "
                "every shape, %d parked polls, %d client thread(s))\n",
                kInstances, kInFlight, kPolls, clientThreads());
    printBest("discoveryd renew:", g_fig.renew);
    printBest("etcd keep-alive gRPC:", g_fig.grpc);
    printBest("etcd keep-alive HTTP gateway:", g_fig.gateway);
    std::printf("discoveryd fetch:      p50 %7.0f us  p99 %7.0f us (an app of %d instances)\n",
                g_fig.fetchP50, g_fig.fetchP99, kInstances / kApps);
    std::printf("long-polls parked during the run: %lld of %d (answered early: %d)\n", stillParked,
                kPolls, answeredEarly);
    // Like for like: each renew shape against the keep-alive shape with the same lanes and
    // depth, and against the best etcd shape (what a client that cannot pipeline gets).
    std::printf("per shape (renews/s, gRPC keep-alives/s of the same shape, ratio; ratio to "
                "the best gRPC):\n");
    for (const auto& [shape, rate] : g_fig.renew.byShape) {
        const auto same = g_fig.grpc.byShape.find(shape);
        const double grpcSame = same == g_fig.grpc.byShape.end() ? 0 : same->second;
        std::printf("  %-32s %9.0f  %9.0f  %6.2fx;  %6.2fx\n",
                    shapeText(shape.first, shape.second, "connection").c_str(), rate, grpcSame,
                    grpcSame > 0 ? rate / grpcSame : 0.0,
                    g_fig.grpc.rate > 0 ? rate / g_fig.grpc.rate : 0.0);
    }
    const auto ratio = [](const Best& anchor) {
        return anchor.rate > 0 ? g_fig.renew.rate / anchor.rate : 0.0;
    };
    const double grpc = ratio(g_fig.grpc);
    std::printf("ratio renew / gRPC keep-alive:    %.2fx (goal >= 5x): %s\n", grpc,
                g_fig.grpc.rate <= 0 ? "NOT MEASURED"
                : grpc >= 5          ? "PASS"
                                     : "FAIL");
    std::printf("ratio renew / gateway keep-alive: %.2fx (goal >= 5x): %s\n", ratio(g_fig.gateway),
                g_fig.gateway.rate <= 0     ? "NOT MEASURED"
                : ratio(g_fig.gateway) >= 5 ? "PASS"
                                            : "FAIL");
}

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }

    // regscope-discoveryd: default timing, long-polls parked for the whole run.
    const char* server =
        std::getenv("DISCOVERYD") ? std::getenv("DISCOVERYD") : REGSCOPE_DISCOVERYD_PATH;
    Child discoveryd({server, "--listen", "127.0.0.1:0", "--poll-timeout", "600s",
                      "--max-instances-per-app", "1000000", "--max-connections", "20000"},
                     false);
    const auto bound = discoveryd.waitForLine("", std::chrono::seconds(10));
    if (!bound) {
        std::fprintf(stderr, "bench_discoveryd: regscope-discoveryd did not start\n");
        return 1;
    }
    g_discoveryPort =
        static_cast<unsigned short>(std::atoi(bound->c_str() + bound->rfind(':') + 1));
    discoveryd.drain();
    registerInstances();

    // Long-polls with a stamp newer than any app's: parked until a change or 600 s.
    ParkedRequests parked("127.0.0.1", g_discoveryPort, kPolls, [](int i) {
        return Request{"GET",
                       "/discovery/poll?env=bench&appid=" + appOf(static_cast<std::uint64_t>(i)) +
                           "&hostname=poller" + std::to_string(i) +
                           "&latest_timestamp=9000000000000000000",
                       "", ""};
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    long long parkedNow = 0;
    while ((parkedNow = jsonInt(statusBody(g_discoveryPort), "parked_polls")) < kPolls &&
           std::chrono::steady_clock::now() < deadline) {
    }
    std::printf("parked long-polls: %lld\n", parkedNow);

    const auto dir = std::filesystem::temp_directory_path() /
                     ("bench_discoveryd_etcd." + std::to_string(::getpid()));
    std::optional<Child> etcd;
    if (!startEtcd(etcd, dir))
        return 1;

    registerBenchmarks();
    benchmark::RunSpecifiedBenchmarks();

    printSummary(jsonInt(statusBody(g_discoveryPort), "parked_polls"), parked.answered());
    etcd.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    benchmark::Shutdown();
    return 0;
}
