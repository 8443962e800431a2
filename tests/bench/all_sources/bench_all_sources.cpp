// bench_all_sources — "All sources" over big stores: S sources (default 3) of N etcd keys each
// (default 300,000), listed by AllSourcesModel with a Source column. In the same run, the
// baseline reads every record once with Store::forEach (the least any listing costs).
//   1. show all: the sliced scan from the start (rows listed, all counted), its wall time and
//      its longest slice (what the GUI thread is held for; target < 50 ms);
//   2. a filter keystroke ("app7 zone3"): the same;
//   3. a stream of changes while shown: 100 flushes of 100 upserts and 10 removals per store,
//      the time in flush() with the model against without it.
// Prints each figure with its ratio to the baseline. Options: --keys=N --sources=S

#include "models/AllSourcesModel.h"
#include "models/SourcesModel.h"
#include "models/Store.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <memory>

using namespace regscope;

namespace {

int g_keys = 300000;
int g_sources = 3;

KeyRecord key(int i, qint64 rev) {
    KeyRecord r;
    r.key = "/svc/app" + QByteArray::number(i % 50) + "/zone" + QByteArray::number(i % 7) +
            "/inst-" + QByteArray::number(i);
    r.value = R"({"addr":"10.0.0.1:8080","weight":10})";
    r.createRevision = rev;
    r.modRevision = rev;
    r.version = 1;
    return r;
}

void fill(Store& store) {
    SnapshotEvent snap{.kind = RecordKind::Key, .records = {}, .revision = 1};
    snap.records.reserve(size_t(g_keys));
    for (int i = 0; i < g_keys; ++i)
        snap.records.emplace_back(key(i, 1));
    store.apply(std::make_shared<const EventBatch>(EventBatch{std::move(snap)}));
    store.flush();
}

struct Scan {
    double wallMs = 0;
    double longestSliceMs = 0;
    qsizetype listed = 0;
    qsizetype counted = 0;
};

Scan waitForScan(AllSourcesModel& model, QElapsedTimer& clock) {
    while (model.scanning())
        QCoreApplication::processEvents(QEventLoop::AllEvents);
    return Scan{double(clock.nsecsElapsed()) / 1e6, model.longestSliceMs(), model.rowCount(),
                model.matchCount()};
}

double streamMs(std::vector<std::unique_ptr<Store>>& stores, int round) {
    QElapsedTimer clock;
    clock.start();
    for (int f = 0; f < 100; ++f) {
        for (auto& store : stores) {
            auto batch = std::make_shared<EventBatch>();
            for (int k = 0; k < 100; ++k) // changed keys, spread over the store
                batch->push_back(
                    UpsertEvent{Record(key((f * 7919 + k * 104729) % g_keys, 2 + round)), 2});
            for (int k = 0; k < 10; ++k) // new ones and removed ones
                batch->push_back(
                    UpsertEvent{Record(key(g_keys + round * 10000 + f * 10 + k, 2)), 2});
            for (int k = 0; k < 10; ++k)
                batch->push_back(RemoveEvent{
                    RecordKind::Key,
                    QString::fromUtf8(key(g_keys + round * 10000 + f * 10 + k, 0).key), 2});
            store->apply(batch);
            store->flush();
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents);
    }
    return double(clock.nsecsElapsed()) / 1e6;
}

void print(const char* what, const Scan& s, double baselineMs) {
    std::printf("%s: %.1f ms wall (%.2fx the plain read), longest slice %.1f ms (%s < 50 ms), "
                "%lld listed, %lld counted\n",
                what, s.wallMs, s.wallMs / baselineMs, s.longestSliceMs,
                s.longestSliceMs < 50 ? "PASS" : "FAIL", static_cast<long long>(s.listed),
                static_cast<long long>(s.counted));
}

void BM_AllSources(benchmark::State& state) {
    for (auto _ : state) {
        std::vector<std::unique_ptr<Store>> stores;
        SourcesModel sources;
        for (int s = 0; s < g_sources; ++s) {
            stores.push_back(std::make_unique<Store>());
            fill(*stores.back());
            sources.addSource(QStringLiteral("etcd://127.0.0.%1:2379").arg(s + 1),
                              stores.back().get(), s == 0);
        }
        QElapsedTimer clock;
        clock.start();
        qsizetype seen = 0;
        for (auto& store : stores)
            store->forEach(RecordKind::Key, [&seen](const Record& r) {
                seen += std::get<KeyRecord>(r).key.size() > 0;
            });
        const double baselineMs = double(clock.nsecsElapsed()) / 1e6;
        std::printf("sources=%d keys/source=%d: plain read of all %lld keys %.1f ms\n", g_sources,
                    g_keys, static_cast<long long>(seen), baselineMs);

        streamMs(stores, 0);                        // warm: the stores' tables have grown
        const double quietMs = streamMs(stores, 1); // no model: the Store alone
        AllSourcesModel model(RecordKind::Key, &sources);
        clock.restart();
        model.setActive(true);
        print("show all", waitForScan(model, clock), baselineMs);
        clock.restart();
        model.setFilterText(QStringLiteral("app7 zone3"));
        print("filter 'app7 zone3'", waitForScan(model, clock), baselineMs);
        model.setFilterText({});
        waitForScan(model, clock);
        const double shownMs = streamMs(stores, 2);
        std::printf("stream of %d flushes x 120 changes: %.1f ms with the table shown, %.1f ms "
                    "without, ratio %.2f\n",
                    100 * g_sources, shownMs, quietMs, shownMs / quietMs);
        state.counters["longest_slice_ms"] = model.longestSliceMs();
    }
}
BENCHMARK(BM_AllSources)->Iterations(1)->Unit(benchmark::kMillisecond);

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--keys=", 7) == 0)
            g_keys = std::atoi(argv[i] + 7);
        if (std::strncmp(argv[i], "--sources=", 10) == 0)
            g_sources = std::atoi(argv[i] + 10);
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
