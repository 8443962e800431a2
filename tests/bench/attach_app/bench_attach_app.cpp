// bench_attach_app — issue 12's app-side figures, against a real separate host process
// (tests/attach's attach_test_host, REGSCOPE_DEBUG=1):
//   1. Attach to a host of --entries (100,000) entries until it is usable: Live and every
//      entry in regscope's EntriesModel. Baseline in the same run: reading the same snapshot
//      off the socket with the bare protocol client (handshake, hello, frames decoded, no
//      store, no model). Target: usable < 1 s.
//   2. Lag from Register in the host to the row in EntriesModel while the host changes
//      --rate (10,000) entries a second for --stream_seconds (5): p50/p99/max over every
//      registration, measured with the host's own registered_at (same clock). Baseline: the
//      lag to the moment the batch reaches the GUI thread (transport only). Target p99 < 50 ms.
// Options (after Google Benchmark's): --entries=N --rate=N --stream_seconds=S
// --store_flush_ms=N (default: the Store's own, 25)

#include "AttachHost.h"
#include "connectors/attach/AttachConnector.h"
#include "connectors/attach/AttachDecode.h"
#include "connectors/attach/AttachSocket.h"
#include "models/EntriesModel.h"
#include "models/Store.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QTimer>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

long g_entries = 100000;
long g_rate = 10000;
long g_streamSeconds = 5;
long g_storeFlushMs = Store::Options{}.flushIntervalMs; // the app's own, unless told
std::vector<double> g_snapshotAtMs; // per attach: when the snapshot reached the GUI thread
std::vector<double> g_usableAtMs;   // per attach: when it was usable
std::vector<QJsonObject> g_frames;  // snapshot frames as read, for the decode-only figure
test::AttachHost* g_host = nullptr;

bool takeFlag(int& argc, char** argv, const char* name, long* value) {
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], name, std::strlen(name)) == 0) {
            *value = std::atol(argv[i] + std::strlen(name));
            for (int j = i; j + 1 < argc; ++j)
                argv[j] = argv[j + 1];
            --argc;
            return true;
        }
    }
    return false;
}

// Runs the event loop (sleeping while idle, as the app's does) until `done` holds, checked
// every millisecond, or the deadline passes.
template <class F>
bool spinUntil(F done, int deadlineMs) {
    if (done())
        return true;
    QEventLoop loop;
    QTimer poll;
    poll.setInterval(1);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    QTimer::singleShot(deadlineMs, &loop, &QEventLoop::quit);
    poll.start();
    loop.exec();
    return done();
}

void BM_RawSnapshotRead(benchmark::State& state) {
    for (auto _ : state) {
        auto socket = attach::AttachSocket::open(g_host->socketPath(), QDeadlineTimer(5000));
        if (!socket) {
            state.SkipWithError(qPrintable(socket.error().message));
            return;
        }
        qint64 entries = 0;
        bool last = false;
        while (!last) {
            auto frame = socket->readFrame(QDeadlineTimer(10000));
            if (!frame) {
                state.SkipWithError(qPrintable(frame.error().message));
                return;
            }
            if (frame->value(u"type").toString() == u"snapshot") {
                if (g_frames.size() < 200)
                    g_frames.push_back(*frame);
                entries += frame->value(u"entries").toArray().size();
                last = frame->value(u"last").toBool();
            }
        }
        benchmark::DoNotOptimize(entries);
        state.counters["entries"] = double(entries);
    }
}

// The worker's share of an attach: entries into records and ids, no socket, no JSON parse.
void BM_DecodeEntries(benchmark::State& state) {
    for (auto _ : state) {
        std::vector<Record> records;
        QSet<QString> ids;
        for (const QJsonObject& f : g_frames) {
            const QString registry = f.value(u"registry").toString();
            for (const QJsonValue& v : f.value(u"entries").toArray()) {
                EntryRecord r = attach::decodeEntry(v.toObject(), registry);
                if (state.range(0))
                    ids.insert(recordId(r));
                records.emplace_back(std::move(r));
            }
        }
        benchmark::DoNotOptimize(records.data());
        state.counters["entries"] = double(records.size());
    }
}

// The GUI thread's share: the decoded snapshot through Store + EntriesModel.
void BM_StoreAndModel(benchmark::State& state) {
    std::vector<Record> records;
    for (size_t i = 0; i < std::min<size_t>(g_frames.size(), 100); ++i) {
        const QString registry = g_frames[i].value(u"registry").toString();
        for (const QJsonValue& v : g_frames[i].value(u"entries").toArray())
            records.emplace_back(attach::decodeEntry(v.toObject(), registry));
    }
    for (auto _ : state) {
        state.PauseTiming();
        auto store = std::make_unique<Store>();
        auto model = std::make_unique<EntriesModel>(store.get());
        auto batch = std::make_shared<EventBatch>();
        batch->emplace_back(SnapshotEvent{RecordKind::Entry, records, 0});
        state.ResumeTiming();
        store->apply(std::move(batch));
        store->flush();
        state.PauseTiming(); // the teardown is not the ingest
        state.counters["entries"] = double(model->entryCount());
        model.reset();
        store.reset();
        state.ResumeTiming();
    }
}

void BM_AttachUsable(benchmark::State& state) {
    for (auto _ : state) {
        state.PauseTiming(); // building and tearing down the app's objects is not the attach
        auto store = std::make_unique<Store>();
        auto model = std::make_unique<EntriesModel>(store.get());
        auto options = AttachConnector::parseUrl(u"pid://%1"_s.arg(g_host->pid()));
        auto connector = std::make_unique<AttachConnector>(*options);
        QElapsedTimer since;
        QObject::connect(connector.get(), &Connector::eventsReady, store.get(),
                         [&](EventBatchPtr batch) {
                             for (const SourceEvent& e : *batch) {
                                 if (std::holds_alternative<SnapshotEvent>(e))
                                     g_snapshotAtMs.push_back(double(since.nsecsElapsed()) / 1e6);
                             }
                             store->apply(std::move(batch));
                         });
        state.ResumeTiming();
        since.start();
        connector->start();
        const bool usable = spinUntil(
            [&] {
                return store->health().state == HealthState::Live &&
                       model->entryCount() >= qsizetype(g_entries);
            },
            30000);
        state.PauseTiming();
        g_usableAtMs.push_back(double(since.nsecsElapsed()) / 1e6);
        if (!usable) {
            state.SkipWithError("not usable within 30 s");
            return;
        }
        state.counters["entries"] = double(model->entryCount());
        connector->stop();
        connector.reset();
        model.reset();
        store.reset();
        state.ResumeTiming();
    }
}

class Collecting : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& r : runs) {
            if (r.run_type == Run::RT_Iteration || r.aggregate_name == "mean")
                seconds[r.benchmark_name().substr(0, r.benchmark_name().find('/'))] =
                    r.GetAdjustedRealTime() / (r.time_unit == benchmark::kMillisecond ? 1e3 : 1e9);
        }
        ConsoleReporter::ReportRuns(runs);
    }
    std::map<std::string, double> seconds;
};

struct Lags {
    std::vector<double> transport; // registered_at -> batch on the GUI thread
    std::vector<double> model;     // registered_at -> row in EntriesModel
};

double quantile(std::vector<double> v, double q) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(q * double(v.size())))];
}

Lags measureLag() {
    Lags lags;
    test::AttachHost host;
    host.command("fill codec 1000");
    host.waitForSocket();
    Store::Options storeOptions;
    storeOptions.flushIntervalMs = int(g_storeFlushMs);
    Store store(storeOptions);
    EntriesModel model(&store);
    // Connected after the model: runs once the model has its rows.
    QObject::connect(&store, &Store::recordsChanged, &store,
                     [&](RecordKind kind, const QStringList&, const QStringList&) {
                         if (kind != RecordKind::Entry)
                             return;
                         const qint64 now = QDateTime::currentMSecsSinceEpoch();
                         for (const Record* r : store.changedRecords(RecordKind::Entry))
                             lags.model.push_back(
                                 double(now - std::get<EntryRecord>(*r).registeredAtMs));
                     });
    bool streaming = false;
    auto options = AttachConnector::parseUrl(u"pid://%1"_s.arg(host.pid()));
    AttachConnector connector(*options);
    QObject::connect(&connector, &Connector::eventsReady, &store, [&](EventBatchPtr batch) {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (streaming) {
            for (const SourceEvent& e : *batch) {
                if (const auto* u = std::get_if<UpsertEvent>(&e))
                    lags.transport.push_back(
                        double(now - std::get<EntryRecord>(u->record).registeredAtMs));
            }
        }
        store.apply(std::move(batch));
    });
    connector.start();
    spinUntil([&] { return store.health().state == HealthState::Live; }, 10000);
    spinUntil([&] { return store.count(RecordKind::Entry) >= 1000; }, 10000);
    lags.model.clear();
    streaming = true;
    host.process().write(QByteArray("churn codec ") + QByteArray::number(qlonglong(g_rate)) + ' ' +
                         QByteArray::number(qlonglong(g_streamSeconds)) + '\n');
    spinUntil([&] { return host.process().canReadLine(); }, int(g_streamSeconds * 1000 + 30000));
    std::printf("host: %s\n", host.readLine(1000).constData());
    const QSet<QString> expected = host.dump();
    spinUntil([&] { return store.count(RecordKind::Entry) == expected.size(); }, 10000);
    std::printf("stream: %lld entries at the end in the host, %lld in the store\n",
                static_cast<long long>(expected.size()),
                static_cast<long long>(store.count(RecordKind::Entry)));
    connector.stop();
    return lags;
}

} // namespace

int main(int argc, char** argv) {
    takeFlag(argc, argv, "--entries=", &g_entries);
    takeFlag(argc, argv, "--rate=", &g_rate);
    takeFlag(argc, argv, "--stream_seconds=", &g_streamSeconds);
    takeFlag(argc, argv, "--store_flush_ms=", &g_storeFlushMs);
    QCoreApplication app(argc, argv);
    registerConnectorMetaTypes();
    test::useTemporaryRuntimeDir();
    benchmark::Initialize(&argc, argv);

    test::AttachHost host;
    g_host = &host;
    QElapsedTimer fill;
    fill.start();
    host.command("fill codec " + QByteArray::number(qlonglong(g_entries)), 120000);
    host.waitForSocket();
    std::printf("host %lld filled with %ld entries in %.0f ms\n",
                static_cast<long long>(host.pid()), g_entries, double(fill.elapsed()));

    benchmark::RegisterBenchmark("BM_RawSnapshotRead", BM_RawSnapshotRead)
        ->Arg(g_entries)
        ->Iterations(3)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_DecodeEntries", BM_DecodeEntries)
        ->Arg(0)
        ->Arg(1)
        ->Iterations(3)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_StoreAndModel", BM_StoreAndModel)
        ->Iterations(3)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark("BM_AttachUsable", BM_AttachUsable)
        ->Arg(g_entries)
        ->Iterations(3)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    Collecting reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    host.quit();
    g_host = nullptr;

    const Lags lags = measureLag();
    const double raw = reporter.seconds["BM_RawSnapshotRead"];
    const double usable = reporter.seconds["BM_AttachUsable"];
    const double p99 = quantile(lags.model, 0.99);
    const double t99 = quantile(lags.transport, 0.99);
    std::printf("\n== bench_attach_app summary ==\n");
    std::printf("bare protocol read of %ld entries:   %8.0f ms (baseline)\n", g_entries, raw * 1e3);
    std::printf("attach until usable (Live, all rows): %8.0f ms  ratio %.2fx baseline  [target < "
                "1000 ms: %s]\n",
                usable * 1e3, raw > 0 ? usable / raw : 0.0, usable < 1.0 ? "PASS" : "FAIL");
    for (size_t i = 0; i < g_snapshotAtMs.size(); ++i)
        std::printf("  attach %zu: snapshot decoded and on the GUI thread after %.0f ms, usable "
                    "after %.0f ms\n",
                    i + 1, g_snapshotAtMs[i], i < g_usableAtMs.size() ? g_usableAtMs[i] : 0.0);
    std::printf("lag Register -> batch on GUI thread (%zu rows): p50 %.1f ms, p99 %.1f ms, max "
                "%.1f ms (baseline)\n",
                lags.transport.size(), quantile(lags.transport, 0.5), t99,
                quantile(lags.transport, 1.0));
    std::printf("store flush interval: %ld ms\n", g_storeFlushMs);
    std::printf("lag Register -> row in EntriesModel (%zu rows, %ld changes/s): p50 %.1f ms, p99 "
                "%.1f ms, max %.1f ms  ratio %.2fx baseline  [target p99 < 50 ms: %s]\n",
                lags.model.size(), g_rate, quantile(lags.model, 0.5), p99,
                quantile(lags.model, 1.0), t99 > 0 ? p99 / t99 : 0.0, p99 < 50 ? "PASS" : "FAIL");
    benchmark::Shutdown();
    return 0;
}
