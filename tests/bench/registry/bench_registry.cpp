// bench_registry (issue 2 §3, issue 12): Lookup hit and miss on 1 thread, and with 2 reader
// threads plus one writer registering/deregistering, for
//   (a) our Registry<T> with metrics on (default options: latency sampled 1 in 64, top-K misses),
//       with the debug endpoint off, and on (a+ep: debug::Start(), the registry exposed, no
//       client attached: what REGSCOPE_DEBUG=1 does to a process nobody looks at)
//   (b) std::unordered_map, no lock (the floor; single thread only)
//   (c) std::shared_mutex + unordered_map
//   (d) std::mutex + unordered_map
// at 10, 1,000 and 100,000 entries. Prints ns per lookup per thread, then the ratios and
// PASS/FAIL against the targets: ours/(b) on 1 thread, hit and miss (<= 1.5), and (c)/ours
// under 2R+1W, hit and miss (>= 3), each with the endpoint off and on. Repetitions run in a
// random interleaving by default, so a load that comes and goes on a shared machine falls on
// every variant alike; the verdicts judge each benchmark's best repetition (other work on the
// machine only adds time), and the load average is printed before and after. The defaults (5
// repetitions of --benchmark_min_time=0.05) keep the whole run near 40 s on 2 cores. The writer
// is paced (see Writer) at the same target rate for every variant; the rate each reached is
// printed beside the verdicts.

#include "models/registry/DebugEndpoint.h"
#include "models/registry/Registry.h"
#include "tests/bench/registry/BenchRegistryReport.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace {

using namespace regscope::registry;
using namespace benchregistry;

struct Impl {
    int value = 0;
};

constexpr std::size_t kProbe = 1 << 16; // lookup sequence length (power of two)
constexpr int kWriterNames = 64;

std::string Key(std::size_t i) {
    return "service.component-" + std::to_string(i);
}
std::string MissKey(std::size_t i) {
    return "missing.component-" + std::to_string(i);
}
std::string WriterKey(int i) {
    return "writer.component-" + std::to_string(i);
}

// The keys to look up, in a shuffled order shared by every variant.
struct Keys {
    std::vector<std::string> hit;
    std::vector<std::string> miss;
    explicit Keys(std::size_t n) {
        std::mt19937_64 rng(42);
        std::vector<std::size_t> order(kProbe);
        for (std::size_t i = 0; i < kProbe; ++i)
            order[i] = i % n;
        std::shuffle(order.begin(), order.end(), rng);
        hit.reserve(kProbe);
        miss.reserve(kProbe);
        for (auto i : order) {
            hit.push_back(Key(i));
            miss.push_back(MissKey(i));
        }
    }
};

// The fixtures are built on first use by whichever benchmark thread gets there first.
std::mutex gFixtureMutex;

const Keys& KeysFor(std::size_t n) {
    std::lock_guard lock(gFixtureMutex);
    static std::map<std::size_t, std::unique_ptr<Keys>> cache;
    auto& k = cache[n];
    if (!k)
        k = std::make_unique<Keys>(n);
    return *k;
}

using Map = std::unordered_map<std::string, std::shared_ptr<Impl>>;

Map& MapForLocked(std::size_t n);

Map& MapFor(std::size_t n) {
    std::lock_guard lock(gFixtureMutex);
    return MapForLocked(n);
}

Map& MapForLocked(std::size_t n) {
    static std::map<std::size_t, std::unique_ptr<Map>> cache;
    auto& m = cache[n];
    if (!m) {
        m = std::make_unique<Map>();
        for (std::size_t i = 0; i < n; ++i)
            m->emplace(Key(i), std::make_shared<Impl>(Impl{int(i)}));
    }
    return *m;
}

Registry<Impl>& RegistryFor(std::size_t n) {
    std::lock_guard lock(gFixtureMutex);
    static std::map<std::size_t, std::unique_ptr<Registry<Impl>>> cache;
    auto& r = cache[n];
    if (!r) {
        RegistryOptions opts;
        opts.typeName = "bench";
        opts.audit = std::make_shared<NullAuditSink>(); // metrics stay on (defaults)
        r = std::make_unique<Registry<Impl>>(opts);
        std::vector<Registration<Impl>> set;
        set.reserve(n);
        for (std::size_t i = 0; i < n; ++i)
            set.push_back({"", Key(i), "1.0.0", std::make_shared<Impl>(Impl{int(i)}), {}});
        if (!r->Reload({}, std::move(set)))
            std::abort();
    }
    return *r;
}

struct SharedMutexMap {
    std::shared_mutex mutex;
    Map map;
};
struct MutexMap {
    std::mutex mutex;
    Map map;
};
template <typename T>
T& LockedFor(std::size_t n) {
    std::lock_guard lock(gFixtureMutex);
    static std::map<std::size_t, std::unique_ptr<T>> cache;
    auto& m = cache[n];
    if (!m) {
        m = std::make_unique<T>();
        m->map = MapForLocked(n);
    }
    return *m;
}

// The writer of the 2R+1W runs: started by reader thread 0 before the timed loop, stopped
// after it (Google Benchmark puts a barrier at both ends of the loop). It is paced at the same
// target rate for every variant (kWriterPeriod between operations, sleeping in between): a
// flat-out writer would measure different write rates (a reader-preferring rwlock starves
// its writer, a copy-on-write writer never waits) and, on 2 cores, a third busy thread would
// take CPU from the readers only in the variants where the writer is not blocked. The rate
// reached is reported as the counter writes_per_s.
constexpr auto kWriterPeriod = std::chrono::microseconds(50); // 20,000 writes/s target
class Writer {
public:
    template <typename Fn>
    void Start(Fn op) {
        stop_.store(false);
        ops_ = 0;
        busy_ = {};
        cpuNs_ = 0;
        started_ = std::chrono::steady_clock::now();
        thread_ = std::thread([this, op] {
            auto next = std::chrono::steady_clock::now();
            std::uint64_t i = 0;
            for (; !stop_.load(std::memory_order_relaxed); ++i) {
                const auto t0 = std::chrono::steady_clock::now();
                op(i);
                busy_ += std::chrono::steady_clock::now() - t0;
                next += kWriterPeriod;
                std::this_thread::sleep_until(next);
            }
            ops_ = i;
            cpuNs_ = ThreadCpuNs();
        });
    }
    // Returns writes per second reached.
    double Stop() {
        stop_.store(true);
        thread_.join();
        const std::chrono::duration<double> d = std::chrono::steady_clock::now() - started_;
        return double(ops_) / d.count();
    }

private:
    std::atomic<bool> stop_{false};
    std::uint64_t ops_ = 0;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::duration busy_{};
    std::uint64_t cpuNs_ = 0;

public:
    double MeanWriteMicros() const {
        return ops_ ? std::chrono::duration<double, std::micro>(busy_).count() / double(ops_) : 0;
    }
    // CPU time of the writer thread per write (its sleeps cost nothing): on a loaded machine
    // write_us also counts the time the writer waited for a CPU.
    double MeanWriteCpuMicros() const { return ops_ ? double(cpuNs_) / 1e3 / double(ops_) : 0; }
    static std::uint64_t ThreadCpuNs() {
        timespec ts{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return std::uint64_t(ts.tv_sec) * 1'000'000'000u + std::uint64_t(ts.tv_nsec);
    }

private:
    std::thread thread_;
};
Writer gWriter;

bool IsOurs(Variant v) {
    return v == Variant::Ours || v == Variant::OursEndpoint;
}

// The endpoint is on exactly while an OursEndpoint benchmark runs (started by thread 0 before
// the timed loop; every registry already built is exposed then, as REGSCOPE_DEBUG=1 would).
std::string gSocket;
void SetEndpoint(bool on) {
    using namespace regscope::registry::debug;
    if (on && !Running()) {
        auto p = Start({.processName = "bench_registry",
                        .socketPath = gSocket,
                        .audit = std::make_shared<NullAuditSink>()});
        if (!p) {
            std::fprintf(stderr, "debug endpoint: %s\n", p.error().message.c_str());
            std::abort();
        }
    } else if (!on && Running()) {
        Stop();
    }
}

void StartWriter(Variant v, std::size_t n) {
    switch (v) {
    case Variant::Ours:
    case Variant::OursEndpoint: {
        auto* reg = &RegistryFor(n);
        gWriter.Start([reg](std::uint64_t i) {
            const auto name = WriterKey(int(i % kWriterNames));
            if ((i / kWriterNames) % 2 == 0)
                (void)reg->Register(name, "1.0.0", std::make_shared<Impl>());
            else
                (void)reg->Deregister({}, name, "1.0.0");
        });
        break;
    }
    case Variant::SharedMutex: {
        auto* m = &LockedFor<SharedMutexMap>(n);
        gWriter.Start([m](std::uint64_t i) {
            auto name = WriterKey(int(i % kWriterNames));
            auto impl = std::make_shared<Impl>();
            std::unique_lock lock(m->mutex);
            if ((i / kWriterNames) % 2 == 0)
                m->map.emplace(std::move(name), std::move(impl));
            else
                m->map.erase(name);
        });
        break;
    }
    case Variant::Mutex: {
        auto* m = &LockedFor<MutexMap>(n);
        gWriter.Start([m](std::uint64_t i) {
            auto name = WriterKey(int(i % kWriterNames));
            auto impl = std::make_shared<Impl>();
            std::lock_guard lock(m->mutex);
            if ((i / kWriterNames) % 2 == 0)
                m->map.emplace(std::move(name), std::move(impl));
            else
                m->map.erase(name);
        });
        break;
    }
    case Variant::Bare:
        break;
    }
}

void Cleanup(Variant v, std::size_t n) {
    // Leave the structures as we found them (the writer alternates register/deregister).
    for (int k = 0; k < kWriterNames; ++k) {
        if (IsOurs(v))
            (void)RegistryFor(n).Deregister({}, WriterKey(k), "1.0.0");
        else if (v == Variant::SharedMutex)
            LockedFor<SharedMutexMap>(n).map.erase(WriterKey(k));
        else if (v == Variant::Mutex)
            LockedFor<MutexMap>(n).map.erase(WriterKey(k));
    }
}

void BM_Lookup(benchmark::State& state, Variant v, Load load, bool hit, std::size_t n) {
    const auto& keys = KeysFor(n);
    const auto& probe = hit ? keys.hit : keys.miss;
    // Build shared fixtures on thread 0 only, before the start barrier.
    if (state.thread_index() == 0) {
        SetEndpoint(v == Variant::OursEndpoint);
        if (IsOurs(v))
            RegistryFor(n);
        else if (v == Variant::Bare)
            MapFor(n);
        else if (v == Variant::SharedMutex)
            LockedFor<SharedMutexMap>(n);
        else
            LockedFor<MutexMap>(n);
        if (load == Load::TwoReadersOneWriter)
            StartWriter(v, n);
    }
    std::size_t i = std::size_t(state.thread_index()) * 7919;
    std::uint64_t found = 0;
    switch (v) {
    case Variant::Ours:
    case Variant::OursEndpoint: {
        const auto& reg = RegistryFor(n);
        for (auto _ : state) {
            auto h = reg.Lookup(std::string_view(probe[i++ & (kProbe - 1)]));
            found += h.has_value();
            benchmark::DoNotOptimize(h);
        }
        break;
    }
    case Variant::Bare: {
        const auto& map = MapFor(n);
        for (auto _ : state) {
            auto it = map.find(probe[i++ & (kProbe - 1)]);
            const Impl* p = it == map.end() ? nullptr : it->second.get();
            found += p != nullptr;
            benchmark::DoNotOptimize(p);
        }
        break;
    }
    case Variant::SharedMutex: {
        auto& m = LockedFor<SharedMutexMap>(n);
        for (auto _ : state) {
            const Impl* p = nullptr;
            {
                std::shared_lock lock(m.mutex);
                auto it = m.map.find(probe[i++ & (kProbe - 1)]);
                p = it == m.map.end() ? nullptr : it->second.get();
            }
            found += p != nullptr;
            benchmark::DoNotOptimize(p);
        }
        break;
    }
    case Variant::Mutex: {
        auto& m = LockedFor<MutexMap>(n);
        for (auto _ : state) {
            const Impl* p = nullptr;
            {
                std::lock_guard lock(m.mutex);
                auto it = m.map.find(probe[i++ & (kProbe - 1)]);
                p = it == m.map.end() ? nullptr : it->second.get();
            }
            found += p != nullptr;
            benchmark::DoNotOptimize(p);
        }
        break;
    }
    }
    if (state.thread_index() == 0 && load == Load::TwoReadersOneWriter) {
        state.counters["writes_per_s"] = gWriter.Stop();
        state.counters["write_us"] = gWriter.MeanWriteMicros();
        state.counters["write_cpu_us"] = gWriter.MeanWriteCpuMicros();
        Cleanup(v, n);
    }
    if ((found == static_cast<std::uint64_t>(state.iterations())) != hit)
        state.SkipWithError("lookup results do not match the scenario");
}

void RegisterAll() {
    for (std::size_t size : kSizes)
        for (bool hit : {true, false})
            for (Load load : {Load::OneThread, Load::TwoReadersOneWriter})
                for (Variant v : {Variant::Ours, Variant::OursEndpoint, Variant::Bare,
                                  Variant::SharedMutex, Variant::Mutex}) {
                    if (v == Variant::Bare && load != Load::OneThread)
                        continue; // no lock: not safe with a writer
                    auto* b = benchmark::RegisterBenchmark(
                        BenchName(v, load, hit, size).c_str(),
                        [=](benchmark::State& s) { BM_Lookup(s, v, load, hit, size); });
                    b->Unit(benchmark::kNanosecond)->UseRealTime();
                    if (load == Load::TwoReadersOneWriter)
                        b->Threads(2);
                }
}

} // namespace

int main(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    // Defaults that keep the run near 40 s on 2 cores; any of them can be overridden.
    std::string minTime = "--benchmark_min_time=0.05";
    std::string repetitions = "--benchmark_repetitions=5";
    std::string aggregatesOnly = "--benchmark_report_aggregates_only=false"; // best repetition
    std::string interleave = "--benchmark_enable_random_interleaving=true";
    for (std::string* d : {&minTime, &repetitions, &aggregatesOnly, &interleave}) {
        const auto flag = d->substr(0, d->find('='));
        if (std::none_of(args.begin() + 1, args.end(),
                         [&](const char* a) { return std::string_view(a).starts_with(flag); }))
            args.insert(args.begin() + 1, d->data());
    }
    int n = int(args.size());
    benchmark::Initialize(&n, args.data());

    const auto dir =
        std::filesystem::temp_directory_path() / ("bench_registry-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    gSocket = (dir / "endpoint.sock").string();
    RegisterAll();

    const std::string loadBefore = LoadAverage();
    CollectingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    SetEndpoint(false);
    std::filesystem::remove_all(dir);

    PrintSummary(reporter, loadBefore);
    return 0;
}
