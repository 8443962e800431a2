// bench_etcd: against a real etcd started here.
//  1. Display lag: a separate client puts 1,000 keys/s for 10 s; for each put, the time from
//     its response to the row being in EtcdKeysModel (connector -> Store -> model). p50/p99.
//  2. Snapshot of 1,000,000 keys: time and peak RSS of a child process that loads them through
//     EtcdConnector into Store + EtcdKeysModel, against `etcdctl get --prefix` with values (the
//     baseline the targets are set against: <= 1.5x the time, <= 2x the RSS) and against
//     `etcdctl get --prefix --keys-only`, on the same data in the same run; ratios printed.
// Options: --lag-seconds N (10), --lag-rate N (1000), --keys N or --keys=N (1000000; also
// --snapshot-keys N). REGSCOPE_BENCH_TRACE=1 makes the child print where its time goes.

#include "../../etcd/EtcdProcess.h"
#include "connectors/etcd/EtcdClient.h"
#include "connectors/etcd/EtcdConnector.h"
#include "models/Store.h"
#include "models/etcd/EtcdKeysModel.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace regscope;
using Clock = std::chrono::steady_clock;

extern char** environ;

namespace {

int g_lagSeconds = 10;
int g_lagRate = 1000;
qint64 g_snapshotKeys = 1000000;
regscope::test::EtcdProcess* g_etcd = nullptr;
QString g_self;

EtcdOptions optionsFor(const QByteArray& prefix) {
    EtcdOptions o;
    o.endpoints = g_etcd->endpoints();
    o.prefix = prefix;
    o.clusterPollMs = 0;
    o.callTimeoutMs = 30000;
    return o;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
    return v[i];
}

// Runs argv, waits with a deadline; wall seconds and peak RSS (KiB) from wait4.
struct ChildRun {
    bool ok = false;
    double seconds = 0;
    long maxRssKb = 0;
};
ChildRun runChild(const std::vector<std::string>& args, bool quiet, int timeoutS) {
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (quiet)
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const auto t0 = Clock::now();
    ChildRun r;
    if (posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0)
        return r;
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    rusage ru{};
    // Wait for the child's exit on a pidfd with the deadline as the poll timeout (no polling
    // loop), then reap it for its rusage.
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    pollfd pfd{pidfd, POLLIN, 0};
    const bool exited = pidfd >= 0 && poll(&pfd, 1, timeoutS * 1000) == 1;
    if (pidfd >= 0)
        close(pidfd);
    if (!exited) {
        kill(pid, SIGKILL);
        wait4(pid, &status, 0, &ru);
        return r;
    }
    wait4(pid, &status, 0, &ru);
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.maxRssKb = ru.ru_maxrss;
    r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return r;
}

// --- 1. display lag -------------------------------------------------------------------------

// A separate client (4 threads, paced to the target rate in total); each put's reply time.
std::vector<std::thread> startWriters(int total, Clock::time_point start,
                                      std::vector<Clock::time_point>& responded,
                                      std::atomic<int>& failures) {
    std::vector<std::thread> writers;
    const int threads = 4;
    for (int t = 0; t < threads; ++t) {
        writers.emplace_back([&, t, total, start] {
            EtcdClient c(g_etcd->endpoint(0), optionsFor({}));
            if (!c.connect()) {
                failures += total;
                return;
            }
            for (int seq = t; seq < total; seq += threads) {
                const auto due = start + std::chrono::microseconds(static_cast<qint64>(seq) *
                                                                   1000000 / g_lagRate);
                std::this_thread::sleep_until(due); // pacing the load generator
                const QByteArray key = "/lag/" + QByteArray::number(seq).rightJustified(8, '0');
                if (!c.put(key, "v"))
                    ++failures;
                responded[static_cast<size_t>(seq)] = Clock::now();
            }
        });
    }
    return writers;
}

void BM_DisplayLag(benchmark::State& state) {
    for (auto _ : state) {
        registerConnectorMetaTypes();
        Store store;
        EtcdKeysModel model;
        model.setStore(&store);
        EtcdConnector connector(optionsFor("/lag/"));
        QObject::connect(&connector, &Connector::eventsReady, &store, &Store::apply);
        const int total = g_lagSeconds * g_lagRate;
        std::vector<Clock::time_point> visible(static_cast<size_t>(total));
        std::vector<Clock::time_point> responded(static_cast<size_t>(total));
        std::vector<char> seen(static_cast<size_t>(total), 0);
        int seenCount = 0;
        QObject::connect(&model, &QAbstractItemModel::rowsInserted, &model,
                         [&](const QModelIndex&, int first, int last) {
                             const auto now = Clock::now();
                             for (int r = first; r <= last; ++r) {
                                 const QByteArray key = model.recordAt(r)->key;
                                 const int seq = key.mid(5).toInt();
                                 if (seq >= 0 && seq < total && !seen[static_cast<size_t>(seq)]) {
                                     seen[static_cast<size_t>(seq)] = 1;
                                     visible[static_cast<size_t>(seq)] = now;
                                     ++seenCount;
                                 }
                             }
                         });
        connector.start();
        {
            QEventLoop loop;
            QTimer::singleShot(1000, &loop, &QEventLoop::quit); // let the watch come up
            loop.exec();
        }
        std::atomic<int> failures{0};
        const auto start = Clock::now();
        std::vector<std::thread> writers = startWriters(total, start, responded, failures);
        QDeadlineTimer deadline((g_lagSeconds + 30) * 1000);
        while (seenCount < total - failures && !deadline.hasExpired())
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        for (auto& w : writers)
            w.join();
        QCoreApplication::processEvents();
        const auto lastReply = *std::max_element(responded.begin(), responded.end());
        const double elapsed = std::chrono::duration<double>(lastReply - start).count();
        std::vector<double> lags;
        int early = 0;
        for (int i = 0; i < total; ++i) {
            if (!seen[static_cast<size_t>(i)])
                continue;
            double ms = std::chrono::duration<double, std::milli>(visible[static_cast<size_t>(i)] -
                                                                  responded[static_cast<size_t>(i)])
                            .count();
            if (ms < 0) { // the row showed up before the writer got its reply
                ++early;
                ms = 0;
            }
            lags.push_back(ms);
        }
        connector.stop();
        state.counters["puts"] = total;
        state.counters["put_failures"] = failures.load();
        state.counters["rows_seen"] = static_cast<double>(lags.size());
        state.counters["visible_before_reply"] = early;
        state.counters["p50_ms"] = percentile(lags, 0.50);
        state.counters["p99_ms"] = percentile(lags, 0.99);
        state.counters["max_ms"] = percentile(lags, 1.0);
        state.counters["achieved_puts_per_s"] = total / std::max(1e-9, elapsed);
        std::printf("display lag: %zu/%d rows, p50 %.1f ms, p99 %.1f ms (goal < 150), max %.1f ms, "
                    "%d visible before the put reply\n",
                    lags.size(), total, percentile(lags, 0.5), percentile(lags, 0.99),
                    percentile(lags, 1.0), early);
    }
}

// --- 2. snapshot of 1M keys -----------------------------------------------------------------

bool loadKeys(qint64 n) {
    EtcdClient c(g_etcd->endpoint(0), optionsFor({}));
    if (!c.connect())
        return false;
    const auto t0 = Clock::now();
    const qint64 chunk = 128 * 64;
    for (qint64 base = 0; base < n; base += chunk) {
        std::vector<std::pair<QByteArray, QByteArray>> kvs;
        for (qint64 i = base; i < std::min(n, base + chunk); ++i)
            kvs.emplace_back("/snap/" + QByteArray::number(i).rightJustified(8, '0'),
                             "{\"addr\":\"10.0.0." + QByteArray::number(i % 250) + ":80\"}");
        if (!c.putMany(kvs, 16))
            return false;
    }
    std::printf("loaded %lld keys into etcd in %.1f s (Txn batches of 128, 16 in flight)\n",
                static_cast<long long>(n),
                std::chrono::duration<double>(Clock::now() - t0).count());
    return true;
}

bool traceOn() {
    return qEnvironmentVariableIsSet("REGSCOPE_BENCH_TRACE");
}

// Our child: "all" (connector -> store -> keys model), "store" (no model) or "connector" (the
// batches are counted and dropped): the parts say where the time and the memory go.
ChildRun ourChild(int capMiB, const char* part) {
    return runChild({g_self.toStdString(), "--snapshot-child", g_etcd->endpoint(0).toStdString(),
                     std::to_string(g_snapshotKeys), std::to_string(capMiB), part},
                    false, 600);
}

ChildRun etcdctlGet(bool keysOnly) {
    std::vector<std::string> args{"etcdctl",
                                  "--endpoints=" + g_etcd->endpoint(0).toStdString(),
                                  "--command-timeout=300s",
                                  "get",
                                  "--prefix",
                                  "/snap/"};
    if (keysOnly)
        args.emplace_back("--keys-only");
    return runChild(args, true, 600);
}

double mib(const ChildRun& r) {
    return r.maxRssKb / 1024.0;
}

void printRatio(const char* what, const ChildRun& ours, const ChildRun& base, bool goals) {
    const double t = ours.seconds / base.seconds;
    const double m = mib(ours) / mib(base);
    std::printf("  vs etcdctl get --prefix %-12s %6.2f s, peak RSS %5.0f MiB: ratio time %.2fx%s, "
                "RSS %.2fx%s\n",
                what, base.seconds, mib(base), t,
                !goals     ? ""
                : t <= 1.5 ? " (goal <= 1.5x: met)"
                           : " (goal <= 1.5x: MISSED)",
                m,
                !goals     ? ""
                : m <= 2.0 ? " (goal <= 2x: met)"
                           : " (goal <= 2x: MISSED)");
}

// state.range(0): the client's reply cap in MiB (4: gRPC's default; 16: the app's default).
void BM_Snapshot(benchmark::State& state) {
    static bool loaded = loadKeys(g_snapshotKeys);
    if (!loaded) {
        state.SkipWithError("could not load the keys into etcd");
        return;
    }
    const int capMiB = static_cast<int>(state.range(0));
    for (auto _ : state) {
        const auto ours = ourChild(capMiB, "all");
        // The baselines, in the same run on the same data.
        const auto withValues = etcdctlGet(false);
        const auto keysOnly = etcdctlGet(true);
        if (!ours.ok || !withValues.ok || !keysOnly.ok) {
            state.SkipWithError("a child failed");
            return;
        }
        state.counters["keys"] = static_cast<double>(g_snapshotKeys);
        state.counters["reply_cap_MiB"] = capMiB;
        state.counters["regscope_s"] = ours.seconds;
        state.counters["regscope_rss_MiB"] = mib(ours);
        state.counters["etcdctl_s"] = withValues.seconds;
        state.counters["etcdctl_rss_MiB"] = mib(withValues);
        state.counters["time_ratio"] = ours.seconds / withValues.seconds;
        state.counters["rss_ratio"] = mib(ours) / mib(withValues);
        state.counters["keys_only_s"] = keysOnly.seconds;
        state.counters["keys_only_rss_MiB"] = mib(keysOnly);
        state.counters["time_ratio_keys_only"] = ours.seconds / keysOnly.seconds;
        state.counters["rss_ratio_keys_only"] = mib(ours) / mib(keysOnly);
        std::printf("snapshot of %lld keys, pages under a %d MiB reply cap: regscope "
                    "(connector+store+model) %.2f s, peak RSS %.0f MiB\n",
                    static_cast<long long>(g_snapshotKeys), capMiB, ours.seconds, mib(ours));
        printRatio("(values)", ours, withValues, true);
        printRatio("--keys-only", ours, keysOnly, false);
        if (!traceOn())
            continue;
        for (const char* part : {"connector", "store"}) {
            const auto r = ourChild(capMiB, part);
            std::printf("  part %-9s %6.2f s, peak RSS %5.0f MiB%s\n", part, r.seconds, mib(r),
                        r.ok ? "" : " (FAILED)");
        }
    }
}

void traceChild(const QElapsedTimer& clock, EtcdConnector& connector, Store& store,
                EtcdKeysModel& model) {
    // Direct: runs on the connector's thread as each page goes out.
    QObject::connect(
        &connector, &Connector::eventsReady, &store,
        [&clock](EventBatchPtr b) {
            std::printf("trace %6lld ms: connector emitted %zu events\n",
                        static_cast<long long>(clock.elapsed()), b->size());
        },
        Qt::DirectConnection);
    QObject::connect(&store, &Store::recordsChanged, &store,
                     [&clock](RecordKind, const QStringList& up, const QStringList&) {
                         std::printf("trace %6lld ms: store flushed %lld upserts\n",
                                     static_cast<long long>(clock.elapsed()),
                                     static_cast<long long>(up.size()));
                     });
    QObject::connect(&model, &QAbstractItemModel::rowsInserted, &store, [&clock, &model] {
        std::printf("trace %6lld ms: model rows %d\n", static_cast<long long>(clock.elapsed()),
                    model.rowCount());
    });
}

// The child: connector -> store -> keys model until every key is a row (see ourChild).
int snapshotChild(const QString& endpoint, qint64 expected, int maxReplyMiB,
                  const QByteArray& part) {
    registerConnectorMetaTypes();
    EtcdOptions o;
    o.maxReplyBytes = maxReplyMiB * 1024 * 1024;
    o.pageTargetBytes = o.maxReplyBytes / 4 * 3;
    if (const int first = qEnvironmentVariableIntValue("REGSCOPE_BENCH_FIRST_PAGE"); first > 0)
        o.pageSize = first; // an experiment: the first page's size in keys
    o.endpoints = {endpoint};
    o.prefix = "/snap/";
    o.clusterPollMs = 0;
    o.callTimeoutMs = 30000;
    Store store;
    EtcdKeysModel model;
    if (part == "all")
        model.setStore(&store);
    EtcdConnector connector(o);
    qint64 seen = 0; // connector only: keys that reached the GUI thread
    const auto done = [&]() -> qint64 {
        return part == "connector" ? seen
               : part == "store"   ? qint64(store.count(RecordKind::Key))
                                   : qint64(model.rowCount());
    };
    // The event loop sleeps between events, as the app's does (a processEvents() loop would
    // spin and take a core from the connector and etcd on a small machine).
    QEventLoop loop;
    const auto checkDone = [&] {
        if (done() >= expected)
            loop.quit();
    };
    if (part == "connector")
        QObject::connect(&connector, &Connector::eventsReady, &store, [&](EventBatchPtr b) {
            for (const SourceEvent& e : *b)
                seen += std::holds_alternative<UpsertEvent>(e) ? 1 : 0;
            checkDone();
        });
    else
        QObject::connect(&connector, &Connector::eventsReady, &store, &Store::apply);
    QObject::connect(&store, &Store::flushed, &loop, checkDone);
    QElapsedTimer clock; // REGSCOPE_BENCH_TRACE=1: where the time goes (ms since start)
    clock.start();
    if (traceOn() && part == "all")
        traceChild(clock, connector, store, model);
    QTimer::singleShot(300000, &loop, &QEventLoop::quit);
    connector.start();
    loop.exec();
    connector.stop();
    std::printf("child (%s): %lld keys\n", part.constData(), static_cast<long long>(done()));
    return done() == expected ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    g_self = QCoreApplication::applicationFilePath();
    if (argc >= 4 && std::string(argv[1]) == "--load") { // fill an etcd started elsewhere
        EtcdClient c(QString::fromLocal8Bit(argv[2]), EtcdOptions{});
        if (!c.connect())
            return 1;
        const qint64 n = QByteArray(argv[3]).toLongLong();
        for (qint64 base = 0; base < n; base += 8192) {
            std::vector<std::pair<QByteArray, QByteArray>> kvs;
            for (qint64 i = base; i < std::min(n, base + 8192); ++i)
                kvs.emplace_back("/snap/" + QByteArray::number(i).rightJustified(8, '0'),
                                 "{\"addr\":\"10.0.0." + QByteArray::number(i % 250) + ":80\"}");
            if (!c.putMany(kvs, 16))
                return 1;
        }
        return 0;
    }
    if (argc >= 4 && std::string(argv[1]) == "--snapshot-child")
        return snapshotChild(QString::fromLocal8Bit(argv[2]), QByteArray(argv[3]).toLongLong(),
                             argc >= 5 ? std::atoi(argv[4]) : 4,
                             argc >= 6 ? QByteArray(argv[5]) : QByteArray("all"));
    std::vector<char*> rest{argv[0]};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--lag-seconds" && i + 1 < argc)
            g_lagSeconds = std::atoi(argv[++i]);
        else if (a == "--lag-rate" && i + 1 < argc)
            g_lagRate = std::atoi(argv[++i]);
        else if ((a == "--snapshot-keys" || a == "--keys") && i + 1 < argc)
            g_snapshotKeys = std::atoll(argv[++i]);
        else if (a.starts_with("--keys="))
            g_snapshotKeys = std::atoll(a.c_str() + 7);
        else
            rest.push_back(argv[i]);
    }
    regscope::test::EtcdProcess etcd(1);
    if (!etcd.start()) {
        std::fprintf(stderr, "etcd: %s\n", qPrintable(etcd.lastError()));
        return 1;
    }
    g_etcd = &etcd;
    benchmark::RegisterBenchmark("etcd/display_lag", BM_DisplayLag)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("etcd/snapshot_vs_etcdctl", BM_Snapshot)
        ->Arg(4)
        ->Arg(16)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    int n = static_cast<int>(rest.size());
    benchmark::Initialize(&n, rest.data());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
