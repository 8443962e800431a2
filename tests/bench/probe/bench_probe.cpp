// bench_probe: the reality check over 5,000 registered instances (issue 13 §3). Loopback
// listeners on their own thread (a quarter each: HTTP 200, HTTP 503, accept-and-silent,
// closed ports); the instances in a Store with the Instances panel shown (offscreen) and the
// ProbeFeeder turned on, as in the window.
//
//  1. At the defaults (50/s, 32 in flight, 1 s timeout) for --default_seconds (10): the
//     probes/s reached against the limit. (All 5,000 at 50/s take 100 s: the limit is the
//     point, so the rate is what is measured.)
//  2. All 5,000 at 500/s, 256 in flight: the wall time and probes/s against the limit.
//  Each run: the GUI event loop's lag (a 10 ms timer's lateness, p50/p99/max; target p99 <
//  50 ms) while the verdicts stream into the Store and the panel, and the heap per instance
//  once every instance has its verdict (mallinfo2, before/after turning probing on).
//  Baseline in the same run: a bare blocking TCP connect + close on loopback, the least a
//  probe can cost; the probes' own latency is reported against it. The listeners live in a
//  child process, so their held sockets do not count in the heap per instance.
//
//     QT_QPA_PLATFORM=offscreen build/tests/bench/probe/bench_probe

#include "app/regscope/ProbeFeeder.h"
#include "connectors/probe/Prober.h"
#include "models/Store.h"
#include "models/instances/InstanceModel.h"
#include "tests/probe/ProbeListeners.h"
#include "views/instances/InstancesView.h"

#include <QApplication>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QTimer>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace regscope;
using regscope::testing::ListenerHost;

namespace {

int g_instances = 5'000;
long g_defaultSeconds = 10;

// The listeners run in a child process: their sockets (a held one per silent probe) are not
// counted in the heap per instance, and their thread does not share our cores' scheduling
// with the GUI thread being measured any more than another process on the host would.
struct Fleet {
    std::vector<quint16> ports[4]; // 200, 503, silent, closed
    pid_t child = -1;

    bool spawn(int argc, char** argv) {
        int fds[2];
        if (::pipe(fds) != 0)
            return false;
        child = ::fork();
        if (child == 0) {
            ::close(fds[0]);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            QCoreApplication app(argc, argv);
            ListenerHost host;
            std::vector<quint16> all;
            for (int i = 0; i < 25; ++i) {
                all.push_back(host.listen(ListenerHost::Kind::Http200));
                all.push_back(host.listen(ListenerHost::Kind::Http503));
                all.push_back(host.listen(ListenerHost::Kind::Silent));
                all.push_back(ListenerHost::closedPort());
            }
            const auto bytes = ssize_t(all.size() * sizeof(quint16));
            if (::write(fds[1], all.data(), size_t(bytes)) != bytes)
                ::_exit(1);
            ::close(fds[1]);
            app.exec();
            ::_exit(0);
        }
        ::close(fds[1]);
        std::vector<quint16> all(100);
        const auto want = ssize_t(all.size() * sizeof(quint16));
        ssize_t got = 0;
        while (got < want) {
            const ssize_t n =
                ::read(fds[0], reinterpret_cast<char*>(all.data()) + got, size_t(want - got));
            if (n <= 0)
                return false;
            got += n;
        }
        ::close(fds[0]);
        for (size_t i = 0; i < all.size(); ++i)
            ports[i % 4].push_back(all[i]);
        return std::all_of(all.begin(), all.end(), [](quint16 p) { return p != 0; });
    }
    ~Fleet() {
        if (child > 0) {
            ::kill(child, SIGKILL);
            ::waitpid(child, nullptr, 0);
        }
    }
    EventBatch snapshot(int n) const {
        SnapshotEvent s;
        s.kind = RecordKind::Instance;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        for (int i = 0; i < n; ++i) {
            InstanceRecord r;
            r.appid = u"app-%1"_s.arg(i % 50, 2, 10, QLatin1Char('0'));
            r.hostname = u"host-%1"_s.arg(i, 5, 10, QLatin1Char('0'));
            r.zone = u"z1"_s;
            r.env = u"prod"_s;
            const auto& kind = ports[i % 4];
            r.addrs = {u"http://127.0.0.1:%1"_s.arg(kind[size_t(i / 4) % kind.size()])};
            r.status = 1;
            r.regTimestampNs = now * 1'000'000;
            r.renewTimestampNs = now * 1'000'000;
            r.source = u"discovery"_s;
            s.records.emplace_back(std::move(r));
        }
        return {std::move(s)};
    }
};

Fleet* g_fleet = nullptr;

// The least a probe costs: a blocking connect + close on this thread (before any run), to a
// listener of our own with a backlog the kernel completes every handshake in.
double bareConnectUs(int n) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener, 4096) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        std::abort();
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < n; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            std::abort();
        ::close(fd);
    }
    const double us = double(t.nsecsElapsed()) / 1e3 / n;
    ::close(listener);
    return us;
}

struct RunResult {
    double wallS = 0;
    quint64 probes = 0;
    double rate = 0;
    double lagP50 = 0, lagP99 = 0, lagMax = 0;
    double bytesPerInstance = 0;
    double upLatencyUs = 0; // mean latency of the up verdicts
    int maxInFlight = 0;
};

RunResult run(ProbeLimits limits, long forSeconds /* 0: until every instance is probed */) {
    Store store;
    InstancesView view(&store);
    ProbeFeeder feeder(&store, limits);
    view.setProbeControl(&feeder);
    view.resize(1400, 800);
    view.show();
    store.apply(std::make_shared<const EventBatch>(g_fleet->snapshot(g_instances)));
    store.flush();
    QApplication::processEvents();
    malloc_trim(0);
    const size_t heapBefore = mallinfo2().uordblks;

    std::vector<double> lags;
    QElapsedTimer tick;
    QTimer lagTimer;
    lagTimer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&lagTimer, &QTimer::timeout, [&] {
        lags.push_back(std::max(0.0, double(tick.nsecsElapsed()) / 1e6 - 10.0));
        tick.restart();
    });
    QElapsedTimer wall;
    wall.start();
    tick.start();
    lagTimer.start(10);
    feeder.setProbing(true);
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, [&] {
        const bool done = forSeconds > 0 ? wall.elapsed() >= forSeconds * 1000 : feeder.allProbed();
        if (done || wall.elapsed() > 600'000)
            loop.quit();
    });
    poll.start(100);
    loop.exec();
    RunResult r;
    r.wallS = double(wall.nsecsElapsed()) / 1e9;
    lagTimer.stop();
    store.flush();
    r.probes = feeder.prober()->stats().finished.load();
    r.maxInFlight = feeder.prober()->stats().maxInFlight.load();
    // Probes started per second over the span of their starts (the wall time also holds the
    // last timeouts' second and the poll).
    qint64 first = std::numeric_limits<qint64>::max();
    qint64 last = 0;
    quint64 verdicts = 0;
    store.forEach(RecordKind::Instance, [&](const Record& rec) {
        if (const QList<ProbeEvent>* all = store.probes(recordId(rec)))
            for (const ProbeEvent& p : *all) {
                first = std::min(first, p.atMs);
                last = std::max(last, p.atMs);
                ++verdicts;
            }
    });
    r.rate =
        verdicts > 1 && last > first ? double(verdicts - 1) * 1000.0 / double(last - first) : 0;
    const size_t heapAfter = mallinfo2().uordblks;
    r.bytesPerInstance = (double(heapAfter) - double(heapBefore)) / g_instances;
    double upSum = 0;
    int ups = 0;
    store.forEach(RecordKind::Instance, [&](const Record& rec) {
        const ProbeEvent* p = store.probeSummary(recordId(rec));
        if (p && p->state == ProbeState::Up) {
            upSum += p->latencyMs * 1000;
            ++ups;
        }
    });
    r.upLatencyUs = ups ? upSum / ups : 0;
    std::sort(lags.begin(), lags.end());
    if (!lags.empty()) {
        r.lagP50 = lags[lags.size() / 2];
        r.lagP99 = lags[std::min(lags.size() - 1, lags.size() * 99 / 100)];
        r.lagMax = lags.back();
    }
    feeder.setProbing(false);
    return r;
}

void report(benchmark::State& state, const char* what, const ProbeLimits& l, const RunResult& r,
            double bareUs) {
    state.counters["wall_s"] = r.wallS;
    state.counters["probes_per_s"] = r.rate;
    state.counters["limit_per_s"] = l.ratePerSecond;
    state.counters["gui_lag_p99_ms"] = r.lagP99;
    state.counters["bytes_per_instance"] = r.bytesPerInstance;
    std::printf(
        "%s: %d instances, limit %.0f/s, %d in flight: %llu probes in %.1f s, started at "
        "%.1f/s (%.3f of the limit), most in flight %d; GUI lag p50 %.1f / p99 %.1f / max %.1f "
        "ms [target p99 < 50]; heap %.0f B per instance; up probes %.0f us each, %.1fx a "
        "bare connect (%.0f us)\n",
        what, g_instances, l.ratePerSecond, l.maxInFlight,
        static_cast<unsigned long long>(r.probes), r.wallS, r.rate, r.rate / l.ratePerSecond,
        r.maxInFlight, r.lagP50, r.lagP99, r.lagMax, r.bytesPerInstance, r.upLatencyUs,
        r.upLatencyUs / std::max(0.1, bareUs), bareUs);
    std::fflush(stdout);
}

double g_bareUs = 0;

void BM_ProbeAtDefaults(benchmark::State& state) {
    const ProbeLimits limits;
    RunResult r;
    for (auto _ : state)
        r = run(limits, g_defaultSeconds);
    report(state, "defaults", limits, r, g_bareUs);
}

void BM_ProbeAll(benchmark::State& state) {
    ProbeLimits limits;
    limits.ratePerSecond = double(state.range(0));
    limits.maxInFlight = int(state.range(1));
    RunResult r;
    for (auto _ : state)
        r = run(limits, 0);
    report(state, "all", limits, r, g_bareUs);
}

bool takeFlag(int& argc, char** argv, const char* prefix, long* value) {
    const size_t n = std::strlen(prefix);
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], prefix, n) != 0)
            continue;
        *value = std::strtol(argv[i] + n, nullptr, 10);
        for (int j = i; j + 1 < argc; ++j)
            argv[j] = argv[j + 1];
        --argc;
        return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    long v = 0;
    if (takeFlag(argc, argv, "--default_seconds=", &v))
        g_defaultSeconds = v;
    if (takeFlag(argc, argv, "--instances=", &v))
        g_instances = int(v);
    Fleet fleet; // forks first: the child gets no QApplication of ours
    if (!fleet.spawn(argc, argv))
        fleet.ports[0].clear();
    QApplication app(argc, argv);
    if (fleet.ports[0].empty()) {
        std::fprintf(stderr, "bench_probe: the listeners did not start\n");
        return 1;
    }
    g_fleet = &fleet;
    g_bareUs = bareConnectUs(2000);
    std::printf("baseline: bare TCP connect + close on loopback %.1f us\n", g_bareUs);
    benchmark::RegisterBenchmark("BM_ProbeAtDefaults", BM_ProbeAtDefaults)
        ->Iterations(1)
        ->Unit(benchmark::kSecond);
    benchmark::RegisterBenchmark("BM_ProbeAll", BM_ProbeAll)
        ->Args({500, 256})
        ->Iterations(1)
        ->Unit(benchmark::kSecond);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
