// bench_follow: `regscope --follow jsonl` on a real etcd under a paced put load, against
// `etcdctl watch --prefix` (the baseline follower) on the same etcd in the same run.
// For each follower: writers put R keys/s for S seconds, each key carrying its sequence
// number; a reader thread timestamps each sequence's first line on the follower's stdout.
// Reported: lines/s (change lines over the run), the lag from the put's reply to its line
// (p50/p99/max), and the follower's RSS at the end; then follow/etcdctl ratios.
// Options: --rate N (5000), --seconds S (10), --writers N (8), --batch N (1: one key per
// Put; N > 1 puts N keys per Txn, for a machine where single Puts cannot reach the rate).
// Not a test.

#include "../../etcd/EtcdProcess.h"
#include "connectors/etcd/EtcdClient.h"

#include <QCoreApplication>
#include <QFile>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace regscope;
using Clock = std::chrono::steady_clock;

extern char** environ;

namespace {

int g_rate = 5000;
int g_seconds = 10;
int g_writers = 8;
int g_batch = 1; // keys per put request (a Txn when > 1)
regscope::test::EtcdProcess* g_etcd = nullptr;

struct Result {
    double linesPerS = 0, putsPerS = 0, p50 = 0, p99 = 0, max = 0;
    long rssKb = 0;
    double cpuS = 0;
    int seen = 0, total = 0, failures = 0;
};
Result g_baseline;

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

long rssKb(pid_t pid) {
    QFile f(u"/proc/%1/status"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLong();
    return 0;
}

// CPU seconds (user + system) the process has used so far.
double cpuSeconds(pid_t pid) {
    QFile f(u"/proc/%1/stat"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return 0;
    return double(fields[11].toLongLong() + fields[12].toLongLong()) / double(sysconf(_SC_CLK_TCK));
}

// A follower child with its stdout on a pipe we read.
struct Child {
    pid_t pid = 0;
    int out = -1;
};
Child spawn(const std::vector<std::string>& args) {
    int fds[2];
    Child c;
    if (::pipe(fds) != 0)
        return c;
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    if (posix_spawnp(&c.pid, argv[0], &fa, nullptr, argv.data(), environ) != 0)
        c.pid = 0;
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    c.out = fds[0];
    return c;
}

// Reads lines; each with needle followed by 8 digits stamps that sequence (first sighting);
// ready is set on the first line with needle + "ready".
void readLines(int fd, const QByteArray& needle, std::atomic<bool>& ready,
               std::vector<Clock::time_point>& at, std::vector<std::atomic<bool>>& seen,
               std::atomic<int>& seenCount, std::atomic<qint64>& lines) {
    QByteArray buf;
    char chunk[65536];
    while (true) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0)
            return;
        const auto now = Clock::now();
        buf.append(chunk, n);
        qsizetype from = 0;
        for (qsizetype nl; (nl = buf.indexOf('\n', from)) >= 0; from = nl + 1) {
            const QByteArrayView line(buf.constData() + from, nl - from);
            ++lines;
            const qsizetype k = line.indexOf(needle);
            if (k < 0 || k + needle.size() + 5 > line.size())
                continue;
            const QByteArray tail =
                QByteArray::fromRawData(line.data() + k + needle.size(),
                                        std::min<qsizetype>(8, line.size() - k - needle.size()));
            if (tail.startsWith("ready")) {
                ready = true;
                continue;
            }
            bool ok = false;
            const int seq = tail.toInt(&ok);
            if (ok && seq >= 0 && size_t(seq) < at.size() && !seen[size_t(seq)].exchange(true)) {
                at[size_t(seq)] = now;
                ++seenCount;
            }
        }
        buf.remove(0, from);
    }
}

// needle: what precedes a key's sequence number in the follower's output.
Result runFollower(const std::vector<std::string>& args, const QByteArray& prefix,
                   const QByteArray& needle) {
    Result r;
    r.total = g_rate * g_seconds;
    std::vector<Clock::time_point> at(size_t(r.total)), replied(size_t(r.total));
    std::vector<std::atomic<bool>> seen(size_t(r.total));
    std::atomic<int> seenCount{0};
    std::atomic<qint64> lines{0};
    std::atomic<bool> ready{false};
    const Child child = spawn(args);
    if (child.pid == 0)
        return r;
    std::thread reader(readLines, child.out, needle, std::ref(ready), std::ref(at), std::ref(seen),
                       std::ref(seenCount), std::ref(lines));
    {
        // Ready when a marker key put now shows up: the follower's watch is live.
        EtcdClient c(g_etcd->endpoint(0), EtcdOptions{});
        const auto readyBy = Clock::now() + std::chrono::seconds(20);
        while (c.connect() && !ready && Clock::now() < readyBy) {
            c.put(prefix + "ready", "1");
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    std::atomic<int> failures{0};
    const auto start = Clock::now();
    std::vector<std::thread> writers;
    for (int t = 0; t < g_writers; ++t)
        writers.emplace_back([&, t] {
            EtcdClient c(g_etcd->endpoint(0), EtcdOptions{});
            if (!c.connect()) {
                failures += r.total / g_writers;
                return;
            }
            // Group g holds keys g*batch .. g*batch+batch-1, put in one Txn when batch > 1.
            const int groups = (r.total + g_batch - 1) / g_batch;
            for (int g = t; g < groups; g += g_writers) {
                const int first = g * g_batch;
                const int last = std::min(r.total, first + g_batch);
                std::this_thread::sleep_until(
                    start + std::chrono::microseconds(qint64(first) * 1'000'000 / g_rate));
                std::vector<std::pair<QByteArray, QByteArray>> kvs;
                for (int seq = first; seq < last; ++seq)
                    kvs.emplace_back(prefix + QByteArray::number(seq).rightJustified(8, '0'),
                                     "{\"seq\":" + QByteArray::number(seq) + "}");
                const bool ok = kvs.size() == 1 ? bool(c.put(kvs[0].first, kvs[0].second))
                                                : bool(c.putMany(kvs, 1));
                const auto now = Clock::now();
                for (int seq = first; seq < last; ++seq) {
                    failures += ok ? 0 : 1;
                    replied[size_t(seq)] = now;
                }
            }
        });
    for (auto& w : writers)
        w.join();
    r.putsPerS =
        r.total / std::max(1e-9, std::chrono::duration<double>(
                                     *std::max_element(replied.begin(), replied.end()) - start)
                                     .count());
    const auto waitBy = Clock::now() + std::chrono::seconds(20);
    while (seenCount < r.total - failures && Clock::now() < waitBy)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    r.rssKb = rssKb(child.pid);
    r.cpuS = cpuSeconds(child.pid);
    ::kill(child.pid, SIGTERM);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    reader.join();
    ::close(child.out);
    std::vector<double> lags;
    Clock::time_point last = start;
    for (size_t i = 0; i < at.size(); ++i) {
        if (!seen[i])
            continue;
        last = std::max(last, at[i]);
        lags.push_back(
            std::max(0.0, std::chrono::duration<double, std::milli>(at[i] - replied[i]).count()));
    }
    r.seen = int(lags.size());
    r.failures = failures;
    r.linesPerS = r.seen / std::max(1e-9, std::chrono::duration<double>(last - start).count());
    r.p50 = percentile(lags, 0.5);
    r.p99 = percentile(lags, 0.99);
    r.max = percentile(lags, 1.0);
    return r;
}

void report(benchmark::State& state, const char* who, const Result& r) {
    state.counters["lines_per_s"] = r.linesPerS;
    state.counters["p50_ms"] = r.p50;
    state.counters["p99_ms"] = r.p99;
    state.counters["max_ms"] = r.max;
    state.counters["rss_mb"] = double(r.rssKb) / 1024.0;
    state.counters["seen"] = r.seen;
    state.counters["achieved_puts_per_s"] = r.putsPerS;
    state.counters["cpu_s"] = r.cpuS;
    state.counters["put_failures"] = r.failures;
    std::printf("%s: %d/%d puts seen (put at %.0f/s), %.0f lines/s, lag p50 %.1f ms, p99 %.1f ms, "
                "max %.1f ms, "
                "RSS %.1f MiB and %.1f s of CPU at the end\n",
                who, r.seen, r.total, r.putsPerS, r.linesPerS, r.p50, r.p99, r.max,
                double(r.rssKb) / 1024.0, r.cpuS);
}

void BM_EtcdctlWatch(benchmark::State& state) {
    for (auto _ : state) {
        g_baseline = runFollower({"etcdctl", "--endpoints=" + g_etcd->endpoint(0).toStdString(),
                                  "watch", "--prefix", "/b/"},
                                 "/b/", "/b/");
        report(state, "etcdctl watch", g_baseline);
    }
}

void BM_Follow(benchmark::State& state) {
    for (auto _ : state) {
        const Result r = runFollower({REGSCOPE_APP, "--connect",
                                      "etcd://" + g_etcd->endpoint(0).toStdString() + "/f/",
                                      "--follow", "jsonl", "--deadline", "20"},
                                     "/f/", "\"key\":\"/f/");
        report(state, "regscope --follow", r);
        const auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
        state.counters["lines_per_s_ratio"] = ratio(r.linesPerS, g_baseline.linesPerS);
        state.counters["p50_ratio"] = ratio(r.p50, g_baseline.p50);
        state.counters["p99_ratio"] = ratio(r.p99, g_baseline.p99);
        state.counters["rss_ratio"] = ratio(double(r.rssKb), double(g_baseline.rssKb));
        std::printf("follow / etcdctl watch: lines/s %.2fx, p50 %.2fx (%+.1f ms), p99 %.2fx "
                    "(%+.1f ms), RSS %.2fx\n",
                    ratio(r.linesPerS, g_baseline.linesPerS), ratio(r.p50, g_baseline.p50),
                    r.p50 - g_baseline.p50, ratio(r.p99, g_baseline.p99), r.p99 - g_baseline.p99,
                    ratio(double(r.rssKb), double(g_baseline.rssKb)));
    }
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    std::vector<char*> rest{argv[0]};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rate" && i + 1 < argc)
            g_rate = std::atoi(argv[++i]);
        else if (a == "--seconds" && i + 1 < argc)
            g_seconds = std::atoi(argv[++i]);
        else if (a == "--batch" && i + 1 < argc)
            g_batch = std::max(1, std::atoi(argv[++i]));
        else if (a == "--writers" && i + 1 < argc)
            g_writers = std::max(1, std::atoi(argv[++i]));
        else
            rest.push_back(argv[i]);
    }
    regscope::test::EtcdProcess etcd(1);
    if (!etcd.start()) {
        std::fprintf(stderr, "etcd: %s\n", qPrintable(etcd.lastError()));
        return 1;
    }
    g_etcd = &etcd;
    benchmark::RegisterBenchmark("follow/etcdctl_watch_baseline", BM_EtcdctlWatch)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("follow/regscope_follow", BM_Follow)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    int n = static_cast<int>(rest.size());
    benchmark::Initialize(&n, rest.data());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
