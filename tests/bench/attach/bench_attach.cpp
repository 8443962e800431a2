// bench_attach (issue 12): what the debug endpoint costs the host, and how fast an attach is.
//
// 1. Host lookups (1 lookup thread, 1,000 entries, a hit/miss mix) while a writer thread
//    streams 10,000 changes/s (register/deregister) in all three cases, in one run:
//      a_no_endpoint     the endpoint never started
//      b_endpoint_idle   debug::Start(), nobody attached
//      c_attached        one client (a forked process reading and parsing every frame) attached
//    Ratios b/a and c/a of ns per lookup (targets: <= 1.02 idle, <= 1.10 attached), wall and
//    the lookup thread's own CPU time. The client reports the change lag it saw (Register's
//    timestamp to the frame parsed, ms resolution).
// 2. Attach to a host process of 100,000 entries (tests/attach/endpoint_host): connect,
//    handshake, every snapshot frame received and parsed. Target < 1 s; printed against the
//    host's own SnapshotWithGeneration() of 100,000 entries measured here in the same run.

#include "models/registry/DebugEndpoint.h"
#include "models/registry/Registry.h"
#include "tests/attach/EndpointTestClient.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace regscope::registry;
using Clock = std::chrono::steady_clock;

struct Impl {
    int v = 0;
};

Registry<Impl>& Host() {
    static auto* r = [] {
        auto* reg =
            new Registry<Impl>({.typeName = "bench", .audit = std::make_shared<NullAuditSink>()});
        for (int i = 0; i < 1000; ++i)
            (void)reg->Register("service.component-" + std::to_string(i), "1.0.0",
                                std::make_shared<Impl>());
        return reg;
    }();
    return *r;
}

// 10,000 changes/s, paced in batches of 10 per millisecond.
class Writer {
public:
    void Start() {
        stop_ = false;
        thread_ = std::thread([this] {
            auto next = Clock::now();
            std::uint64_t i = 0;
            while (!stop_.load(std::memory_order_relaxed)) {
                for (int k = 0; k < 10; ++k, ++i) {
                    const auto name = "writer.component-" + std::to_string(i % 256);
                    if ((i / 256) % 2 == 0)
                        (void)Host().Register(name, "1.0.0", std::make_shared<Impl>());
                    else
                        (void)Host().Deregister({}, name, "1.0.0");
                }
                next += std::chrono::milliseconds(1);
                std::this_thread::sleep_until(next);
            }
            done_ = i;
            Host().ReleaseThreadCache();
        });
        started_ = Clock::now();
    }
    double Stop() {
        stop_ = true;
        thread_.join();
        return double(done_) / std::chrono::duration<double>(Clock::now() - started_).count();
    }

private:
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::uint64_t done_ = 0;
    Clock::time_point started_;
};

// A client in a process of its own: reads and parses every frame until told to stop, then
// reports frames, changes and lag percentiles on a pipe.
struct ClientProcess {
    pid_t pid = -1;
    int stopFd = -1;
    int resultFd = -1;

    void Start(const std::string& path) {
        int stopPipe[2], resultPipe[2];
        if (::pipe(stopPipe) != 0 || ::pipe(resultPipe) != 0)
            std::abort();
        pid = ::fork();
        if (pid == 0) {
            ::close(stopPipe[1]);
            ::close(resultPipe[0]);
            attachtest::Client c;
            if (c.Connect(path) || c.Handshake())
                ::_exit(2);
            std::vector<std::int64_t> lags;
            std::uint64_t changes = 0;
            bool announced = false;
            for (;;) {
                pollfd p{stopPipe[0], POLLIN, 0};
                if (::poll(&p, 1, 0) > 0)
                    break;
                auto f = c.ReadFrame(std::chrono::milliseconds(20));
                if (!f) {
                    if (c.Eof())
                        break;
                    continue;
                }
                // Its snapshot is through: the parent may start measuring.
                if (!announced && (*f)["type"] == "snapshot" && f->value("last", false)) {
                    announced = true;
                    [[maybe_unused]] auto w = ::write(resultPipe[1], "ready\n", 6);
                }
                if ((*f)["type"] == "change") {
                    ++changes;
                    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
                    if (lags.size() < 1'000'000)
                        lags.push_back(now - (*f)["ts"].get<std::int64_t>());
                }
            }
            std::sort(lags.begin(), lags.end());
            auto q = [&](double x) {
                return lags.empty() ? -1 : lags[std::size_t(x * double(lags.size() - 1))];
            };
            char buf[256];
            const int n = std::snprintf(buf, sizeof buf, "%llu %llu %lld %lld %lld\n",
                                        (unsigned long long)c.Frames(), (unsigned long long)changes,
                                        (long long)q(0.5), (long long)q(0.99), (long long)q(1.0));
            [[maybe_unused]] auto w = ::write(resultPipe[1], buf, std::size_t(n));
            ::_exit(0);
        }
        ::close(stopPipe[0]);
        ::close(resultPipe[1]);
        stopFd = stopPipe[1];
        resultFd = resultPipe[0];
    }
    // Until the client has its snapshot ("ready" on the result pipe), at most `ms`.
    bool WaitReady(int ms) {
        pollfd p{resultFd, POLLIN, 0};
        char buf[6] = {};
        return ::poll(&p, 1, ms) > 0 && ::read(resultFd, buf, sizeof buf) == 6;
    }
    std::string Stop() {
        [[maybe_unused]] auto w = ::write(stopFd, "x", 1);
        char buf[256] = {};
        [[maybe_unused]] auto r = ::read(resultFd, buf, sizeof buf - 1);
        ::waitpid(pid, nullptr, 0);
        ::close(stopFd);
        ::close(resultFd);
        return buf;
    }
};

Writer gWriter;
ClientProcess gClient;
std::string gSocket;
std::string gClientReport;

enum class Case { NoEndpoint, Idle, Attached };

void BM_HostLookup(benchmark::State& state, Case which) {
    auto& reg = Host();
    if (which != Case::NoEndpoint && !debug::Running()) {
        auto p = debug::Start({.processName = "bench_attach",
                               .socketPath = gSocket,
                               .audit = std::make_shared<NullAuditSink>()});
        if (!p) {
            state.SkipWithError(p.error().message.c_str());
            return;
        }
    }
    if (which == Case::Attached) {
        gClient.Start(gSocket);
        if (!gClient.WaitReady(10'000)) {
            state.SkipWithError("the client did not get its snapshot within 10 s");
            return;
        }
    }
    gWriter.Start();
    std::string names[8];
    for (int i = 0; i < 8; ++i)
        names[i] = i % 4 == 3 ? "missing.component-" + std::to_string(i)
                              : "service.component-" + std::to_string(i * 97);
    std::uint64_t i = 0;
    for (auto _ : state) {
        auto h = reg.Lookup(std::string_view(names[i++ & 7]));
        benchmark::DoNotOptimize(h);
    }
    state.counters["writes_per_s"] = gWriter.Stop();
    if (which == Case::Attached) {
        gClientReport = gClient.Stop();
        debug::Stop();
    }
    reg.ReleaseThreadCache();
}

// Attach to a 100,000-entry host process: connect to the last snapshot frame parsed.
struct HostProc {
    pid_t pid = -1;
    int in = -1;
};

HostProc SpawnHost(const std::string& socket) {
    int toChild[2], fromChild[2];
    if (::pipe(toChild) != 0 || ::pipe(fromChild) != 0)
        std::abort();
    HostProc h;
    h.pid = ::fork();
    if (h.pid == 0) {
        ::dup2(toChild[0], 0);
        ::dup2(fromChild[1], 1);
        ::execl(ENDPOINT_HOST_PATH, ENDPOINT_HOST_PATH, "--entries", "100000", "--socket",
                socket.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(toChild[0]);
    ::close(fromChild[1]);
    h.in = toChild[1];
    // Wait for "READY ..." (building 100,000 entries takes a moment).
    std::string line;
    char c;
    while (::read(fromChild[0], &c, 1) == 1 && c != '\n')
        line += c;
    ::close(fromChild[0]);
    if (!line.starts_with("READY "))
        std::abort();
    return h;
}

void BM_AttachLargeHost(benchmark::State& state) {
    const std::string socket = gSocket + ".large";
    auto host = SpawnHost(socket);
    std::uint64_t bytes = 0, entries = 0;
    for (auto _ : state) {
        attachtest::Client c;
        if (c.Connect(socket) || c.Handshake()) {
            state.SkipWithError("attach failed");
            break;
        }
        // Every frame is parsed (nlohmann); entries are counted, not stored: what is measured
        // is the protocol, not this client's containers.
        entries = 0;
        bool last = false;
        while (!last) {
            auto f = c.ReadFrame(std::chrono::seconds(30));
            if (!f)
                break;
            if ((*f)["type"] == "snapshot" && (*f)["registry"] == "codec") {
                entries += (*f)["entries"].size();
                last = (*f)["last"].get<bool>();
            }
        }
        if (!last) {
            state.SkipWithError("no full snapshot");
            break;
        }
        bytes = c.BytesRead();
    }
    state.counters["entries"] = double(entries);
    state.counters["MiB"] = double(bytes) / (1024.0 * 1024.0);
    [[maybe_unused]] auto w = ::write(host.in, "quit\n", 5);
    ::close(host.in);
    ::waitpid(host.pid, nullptr, 0);
}

// Baseline for the attach: the host's own snapshot of 100,000 entries, in process.
void BM_HostSnapshot100k(benchmark::State& state) {
    static auto* reg = [] {
        auto* r =
            new Registry<Impl>({.typeName = "big", .audit = std::make_shared<NullAuditSink>()});
        std::vector<Registration<Impl>> set;
        for (int i = 0; i < 100000; ++i)
            set.push_back(
                {"", "codec-" + std::to_string(i), "1.0.0", std::make_shared<Impl>(), {}});
        (void)r->Reload({}, std::move(set));
        return r;
    }();
    for (auto _ : state) {
        auto s = reg->SnapshotWithGeneration(false); // as the endpoint takes it
        benchmark::DoNotOptimize(s);
    }
}

class CollectingReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const auto& r : runs)
            if (!r.error_occurred &&
                ((r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") ||
                 (r.run_type == Run::RT_Iteration && r.repetitions <= 1))) {
                real[r.run_name.function_name] = r.GetAdjustedRealTime();
                cpu[r.run_name.function_name] = r.GetAdjustedCPUTime();
            }
        ConsoleReporter::ReportRuns(runs);
    }
    std::map<std::string, double> real, cpu;
};

} // namespace

int main(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    std::string minTime = "--benchmark_min_time=1";
    std::string repetitions = "--benchmark_repetitions=3";
    std::string aggregatesOnly = "--benchmark_report_aggregates_only=true";
    for (std::string* d : {&minTime, &repetitions, &aggregatesOnly}) {
        const auto flag = d->substr(0, d->find('='));
        if (std::none_of(args.begin() + 1, args.end(),
                         [&](const char* a) { return std::string_view(a).starts_with(flag); }))
            args.insert(args.begin() + 1, d->data());
    }
    int n = int(args.size());
    benchmark::Initialize(&n, args.data());
    const auto dir =
        std::filesystem::temp_directory_path() / ("bench_attach-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    gSocket = (dir / "host.sock").string();

    benchmark::RegisterBenchmark("HostLookup/a_no_endpoint", BM_HostLookup, Case::NoEndpoint)
        ->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark("HostLookup/b_endpoint_idle", BM_HostLookup, Case::Idle)
        ->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark("HostLookup/c_attached", BM_HostLookup, Case::Attached)
        ->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark("AttachLargeHost/100000", BM_AttachLargeHost)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(3)
        ->Repetitions(1)
        ->ReportAggregatesOnly(false);
    benchmark::RegisterBenchmark("HostSnapshot/100000", BM_HostSnapshot100k)
        ->Unit(benchmark::kMillisecond);

    CollectingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();

    auto at = [](const std::map<std::string, double>& m, const std::string& k) {
        auto it = m.find(k);
        return it == m.end() ? 0.0 : it->second;
    };
    const double a = at(reporter.real, "HostLookup/a_no_endpoint");
    const double b = at(reporter.real, "HostLookup/b_endpoint_idle");
    const double c = at(reporter.real, "HostLookup/c_attached");
    const double ac = at(reporter.cpu, "HostLookup/a_no_endpoint");
    const double bc = at(reporter.cpu, "HostLookup/b_endpoint_idle");
    const double cc = at(reporter.cpu, "HostLookup/c_attached");
    auto ratio = [](double x, double y) { return y > 0 ? x / y : 0.0; };
    std::printf("\nHost lookups with a writer at 10,000 changes/s (medians, ns per lookup):\n");
    std::printf("%-18s %10s %10s %12s %10s %10s\n", "case", "wall ns", "vs (a)", "lookups/s",
                "cpu ns", "vs (a)");
    const std::pair<const char*, std::pair<double, double>> rows[] = {
        {"a_no_endpoint", {a, ac}}, {"b_endpoint_idle", {b, bc}}, {"c_attached", {c, cc}}};
    for (const auto& [name, v] : rows)
        std::printf("%-18s %10.2f %10.3f %12.0f %10.2f %10.3f\n", name, v.first, ratio(v.first, a),
                    v.first > 0 ? 1e9 / v.first : 0.0, v.second, ratio(v.second, ac));
    std::printf("Targets: (b)/(a) <= 1.02, (c)/(a) <= 1.10.\n");
    unsigned long long frames = 0, changes = 0;
    long long p50 = 0, p99 = 0, pmax = 0;
    if (std::sscanf(gClientReport.c_str(), "%llu %llu %lld %lld %lld", &frames, &changes, &p50,
                    &p99, &pmax) == 5)
        std::printf(
            "Attached client: %llu frames, %llu changes; Register -> frame parsed lag p50 %lld ms, "
            "p99 %lld ms, max %lld ms (ms resolution)\n",
            frames, changes, p50, p99, pmax);
    const double attach = at(reporter.real, "AttachLargeHost/100000");
    const double snap = at(reporter.real, "HostSnapshot/100000");
    std::printf("\nAttach to a 100,000-entry host process (to the full snapshot parsed): %.0f ms "
                "(target < 1000 ms); the host's own in-process snapshot: %.0f ms (ratio %.2f)\n",
                attach, snap, ratio(attach, snap));
    std::filesystem::remove_all(dir);
    return 0;
}
