// bench_keytree — the key tree (EtcdKeyTreeModel) against the flat keys table (EtcdKeysModel,
// the baseline) fed by the same Store in the same run:
//   1. a snapshot of N keys (default 100,000, 3 levels of folders) applied through the Store;
//   2. a watch-like stream: 1,000 flushes of one changed key each, then 1,000 flushes of one
//      new key and one removed key each.
// Prints the time of each and the ratio tree / flat. Options: --keys=N

#include "models/Store.h"
#include "models/etcd/EtcdKeyTreeModel.h"
#include "models/etcd/EtcdKeysModel.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>

using namespace regscope;

namespace {

int g_keys = 100000;

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

void flushUpserts(Store& store, std::vector<KeyRecord> records, const QStringList& removed = {}) {
    auto batch = std::make_shared<EventBatch>();
    batch->reserve(records.size() + size_t(removed.size()));
    for (auto& r : records) {
        const qint64 rev = r.modRevision;
        batch->push_back(UpsertEvent{Record(std::move(r)), rev});
    }
    for (const auto& id : removed)
        batch->push_back(RemoveEvent{RecordKind::Key, id, 0});
    store.apply(batch);
    store.flush();
}

struct Timings {
    double snapshotMs = 0, editsMs = 0, churnMs = 0;
};

template <typename Model>
Timings run() {
    Store store;
    Model model;
    model.setStore(&store);
    Timings t;
    std::vector<KeyRecord> all;
    all.reserve(size_t(g_keys));
    for (int i = 0; i < g_keys; ++i)
        all.push_back(key(i, i + 1));
    QElapsedTimer clock;
    clock.start();
    flushUpserts(store, std::move(all));
    t.snapshotMs = double(clock.nsecsElapsed()) / 1e6;
    clock.restart();
    for (int i = 0; i < 1000; ++i)
        flushUpserts(store, {key((i * 97) % g_keys, g_keys + i + 1)});
    t.editsMs = double(clock.nsecsElapsed()) / 1e6;
    clock.restart();
    for (int i = 0; i < 1000; ++i)
        flushUpserts(store, {key(g_keys + i, 2 * g_keys + i)}, {QString::fromUtf8(key(i, 0).key)});
    t.churnMs = double(clock.nsecsElapsed()) / 1e6;
    return t;
}

void BM_Tree(benchmark::State& state) {
    for (auto _ : state) {
        const Timings flat = run<EtcdKeysModel>();
        const Timings tree = run<EtcdKeyTreeModel>();
        std::printf("keys=%d\n", g_keys);
        std::printf("snapshot: flat %.1f ms, tree %.1f ms, ratio %.2f\n", flat.snapshotMs,
                    tree.snapshotMs, tree.snapshotMs / flat.snapshotMs);
        std::printf(
            "1000 one-key edits: flat %.1f ms, tree %.1f ms, ratio %.2f (%.1f us per flush)\n",
            flat.editsMs, tree.editsMs, tree.editsMs / flat.editsMs, tree.editsMs);
        std::printf("1000 add+remove flushes: flat %.1f ms, tree %.1f ms, ratio %.2f\n",
                    flat.churnMs, tree.churnMs, tree.churnMs / flat.churnMs);
        state.counters["snapshot_ratio"] = tree.snapshotMs / flat.snapshotMs;
        state.counters["edit_ratio"] = tree.editsMs / flat.editsMs;
    }
}
BENCHMARK(BM_Tree)->Iterations(1)->Unit(benchmark::kMillisecond);

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "--keys=", 7) == 0)
            g_keys = std::atoi(argv[i] + 7);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
