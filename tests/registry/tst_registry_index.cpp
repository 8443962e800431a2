// The registry's two internal hash indexes, against plain std containers:
//   - FlatIndex (Snapshot.h), the read index of a layer: probed 8 tag bytes at a time, with a
//     mirrored tail so that a group never wraps; tables from 2 slots (groups repeat) to
//     thousands (long probe runs, 7-bit tag collisions);
//   - MissSketch (MissSketch.h), the most-missed names: its index keeps a 32-bit hash tag
//     beside each item, and evictions shift entries back; Find must agree with what the
//     sketch reports as tracked after every admission.

#include "models/registry/MissSketch.h"
#include "models/registry/Snapshot.h"

#include <QTest>

#include <random>
#include <set>
#include <string>
#include <unordered_map>

using namespace regscope::registry;
using namespace regscope::registry::detail;

class TestRegistryIndex : public QObject {
    Q_OBJECT

private slots:
    void flatIndexFindsExactlyItsNames_data() {
        QTest::addColumn<int>("count");
        for (int n : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1000, 5000})
            QTest::addRow("%d names", n) << n;
    }
    void flatIndexFindsExactlyItsNames() {
        QFETCH(int, count);
        NameTable names;
        for (int i = 0; i < count; ++i) {
            // Short keys (inline in the slot) and long ones (kept out of line).
            std::string key =
                (i % 3 == 0 ? std::string(40, 'l') : std::string("k")) + std::to_string(i);
            NameSlot slot;
            slot.nameId = static_cast<std::uint32_t>(i);
            names.emplace(std::move(key), std::move(slot));
        }
        FlatIndex index;
        index.Build(names);
        for (const auto& [key, slot] : names) {
            const FlatSlot* f = index.Find(key, StringHash{}(key));
            QVERIFY2(f != nullptr, key.c_str());
            QCOMPARE(f->nameId, slot.nameId);
            QCOMPARE(index.Cold(f).slot, &slot);
        }
        for (int i = 0; i < 20'000; ++i) {
            const std::string absent = "absent-" + std::to_string(i);
            QVERIFY2(index.Find(absent, StringHash{}(absent)) == nullptr, absent.c_str());
        }
        // The same hash as a present key but other bytes: the key comparison decides.
        const std::string& present = names.begin()->first;
        QVERIFY(index.Find(present + "x", StringHash{}(present)) == nullptr);
        QVERIFY(index.Find(present.substr(1), StringHash{}(present)) == nullptr);
    }

    void flatIndexEmptyFindsNothing() {
        FlatIndex index;
        QVERIFY(index.Find("x", StringHash{}("x")) == nullptr);
        index.Build(NameTable{});
        QVERIFY(index.Find("x", StringHash{}("x")) == nullptr);
    }

    // Layers as writers make them: each round copies the last layer, adds and removes names,
    // seals (shard indexes updated in place, or built again when they fill or empty), and
    // every layer still alive must resolve exactly its own names to its own slots.
    void layerIndexesStayExactAcrossWrites() {
        std::mt19937 rng(11);
        constexpr int kPool = 6000;
        auto nameOf = [](int k) {
            return (k % 5 == 0 ? "a-long-registry-name-past-the-inline-key-" : "n-") +
                   std::to_string(k);
        };
        struct Version {
            std::shared_ptr<Layer> layer;
            std::set<int> names;
        };
        std::vector<Version> alive; // the newest last; a few older ones, as readers hold them
        alive.push_back({std::make_shared<Layer>(), {}});
        auto verify = [&](const Version& v) {
            for (int k = 0; k < kPool; ++k) {
                const std::string name = nameOf(k);
                const std::size_t h = StringHash{}(name);
                const FlatSlot* f = v.layer->shards[ShardOf(h)]->index.Find(name, h);
                const bool expected = v.names.contains(k);
                if (!expected) {
                    QVERIFY2(f == nullptr, name.c_str());
                    continue;
                }
                QVERIFY2(f != nullptr, name.c_str());
                QCOMPARE(v.layer->shards[ShardOf(h)]->index.Cold(f).slot, v.layer->Find(name));
            }
        };
        for (int round = 0; round < 120; ++round) {
            Version next{std::make_shared<Layer>(*alive.back().layer), alive.back().names};
            // Early rounds grow (indexes fill and are built again), late rounds shrink.
            const int ops = round < 60 ? 200 : 150;
            for (int op = 0; op < ops; ++op) {
                const int k = std::uniform_int_distribution<int>(0, kPool - 1)(rng);
                const bool add = round < 60 ? rng() % 4 != 0 : rng() % 4 == 0;
                const std::string name = nameOf(k);
                auto& table = next.layer->Names(name);
                if (add) {
                    table[name].nameId = static_cast<std::uint32_t>(k);
                    next.names.insert(k);
                } else {
                    table.erase(name);
                    next.names.erase(k);
                }
            }
            next.layer->Seal();
            alive.push_back(std::move(next));
            if (alive.size() > 4)
                alive.erase(alive.begin());
            for (const auto& v : alive)
                verify(v);
            if (QTest::currentTestFailed())
                return;
        }
    }

    void missSketchFindAgreesWithTrackedNames_data() {
        QTest::addColumn<int>("capacity");
        for (int k : {1, 2, 3, 8, 64, 256})
            QTest::addRow("K=%d", k) << k;
    }
    void missSketchFindAgreesWithTrackedNames() {
        QFETCH(int, capacity);
        MissSketch sketch(static_cast<std::uint32_t>(capacity));
        std::mt19937 rng(7);
        // A skewed stream: a few hot names and a long tail, so that evictions hit every
        // position of the index.
        std::discrete_distribution<int> pick({50, 20, 10, 5, 15});
        std::uniform_int_distribution<int> tail(0, 3000);
        std::set<std::string> everSeen;
        for (int step = 0; step < 20'000; ++step) {
            const int which = pick(rng);
            const std::string name =
                which < 4 ? "hot-" + std::to_string(which) : "tail-" + std::to_string(tail(rng));
            everSeen.insert(name);
            sketch.Add(name);
            if (step % 997 != 0)
                continue;
            std::unordered_map<std::string, NameCount, StringHash, std::equal_to<>> tracked;
            sketch.MergeInto(tracked);
            QVERIFY(tracked.size() <= static_cast<std::size_t>(capacity));
            QCOMPARE(tracked.size(), sketch.Size());
            for (const auto& seen : everSeen) {
                const bool found = sketch.Find(seen, StringHash{}(seen)) != MissSketch::kNone;
                QVERIFY2(found == tracked.contains(seen), seen.c_str());
            }
        }
        // The classic space-saving guarantee (every miss admitted): the hottest name is kept.
        if (capacity >= 8)
            QVERIFY(sketch.Find("hot-0", StringHash{}("hot-0")) != MissSketch::kNone);
    }
};

QTEST_GUILESS_MAIN(TestRegistryIndex)
#include "tst_registry_index.moc"
