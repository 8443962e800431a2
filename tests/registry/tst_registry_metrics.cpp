// The registry library's rules, continued: metrics, observers, snapshots and hot reload.

#include "tests/registry/RegistryTestSupport.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

#include <future>
#include <thread>

class TestRegistryMetrics : public QObject {
    Q_OBJECT

private slots:
    // --- metrics -----------------------------------------------------------------------------
    void metricsCounts() {
        auto opts = Quiet();
        opts.latencySampleEvery = 1; // time every lookup: counts become exact
        opts.missTopK = 8;
        Registry<Impl> reg(opts);
        Fill(reg);
        QVERIFY(!reg.Register("gzip", "1.0.0", Make("dup")));
        for (int i = 0; i < 10; ++i)
            QVERIFY(reg.Lookup("gzip").has_value());
        for (int i = 0; i < 4; ++i)
            QVERIFY(reg.Lookup("lz4", "^1").has_value());
        // Space-saving guarantees names missed more than N/K times (here 3001/8).
        for (int i = 0; i < 1000; ++i)
            QVERIFY(!reg.Lookup("often-missed"));
        QVERIFY(!reg.Lookup("gzip", "^9")); // a miss too (no matching version)
        QVERIFY(!reg.Lookup("gzip", "!!")); // an error
        QVERIFY(!reg.Lookup(""));           // an error
        // A flood of distinct missing names cannot grow the miss table beyond K.
        for (int i = 0; i < 2000; ++i)
            QVERIFY(!reg.Lookup("random-" + std::to_string(i)));
        const auto m = reg.Metrics();
        QCOMPARE(m.entries, std::size(kFixture));
        QCOMPARE(m.lookupHit, 14u);
        QCOMPARE(m.lookupMiss, 3001u);
        QCOMPARE(m.lookupError, 2u);
        QCOMPARE(m.registerTotal.at("ok"), std::size(kFixture));
        QCOMPARE(m.registerTotal.at("duplicate"), 1u);
        QCOMPARE(CountOf(m.hitsByName, "gzip"), 10u);
        QCOMPARE(CountOf(m.hitsByName, "lz4"), 4u);
        QCOMPARE(m.hitsByName.front().name, std::string("gzip"));
        QVERIFY(m.topMisses.size() <= 8u);
        QCOMPARE(m.topMisses.front().name, std::string("often-missed"));
        // Sampling off (Quiet): classic space-saving, count >= true >= count - error.
        QVERIFY(m.topMisses.front().count >= 1000u);
        QVERIFY(m.topMisses.front().count - m.topMisses.front().error <= 1000u);
        // Every lookup that got as far as a snapshot was timed (sample every 1).
        QCOMPARE(m.latency.count, m.lookupHit + m.lookupMiss + 1);
        QCOMPARE(m.latency.counts.size(), m.latency.boundsSeconds.size() + 1);
        std::uint64_t sum = 0;
        for (auto c : m.latency.counts)
            sum += c;
        QCOMPARE(sum, m.latency.count);
        QVERIFY(m.latency.P50() > 0);
        QVERIFY(m.latency.P99() >= m.latency.P50());
        QVERIFY(m.latency.sumSeconds > 0);
    }

    void metricsSampleLatency() {
        auto opts = Quiet();
        opts.latencySampleEvery = 64;
        Registry<Impl> reg(opts);
        Fill(reg);
        for (int i = 0; i < 640; ++i)
            QVERIFY(reg.Lookup("gzip"));
        const auto m = reg.Metrics();
        QCOMPARE(m.latency.count, 10u);
        QCOMPARE(m.latencySampleEvery, 64u);
    }

    // The documented bound (Metrics.h): true misses >= count - error, for every entry, with
    // the default sampling; names in the table are counted exactly.
    void missCountsHonest() {
        auto opts = Quiet();
        opts.missSampleEvery = 8; // a sampling rate (the default is 64)
        opts.missTopK = 4;
        Registry<Impl> reg(opts);
        Fill(reg);
        std::map<std::string, std::uint64_t> truth;
        auto miss = [&](const std::string& name) {
            QVERIFY(!reg.Lookup(name));
            ++truth[name];
        };
        auto check = [&](const MetricsSnapshot& m) {
            for (const auto& nc : m.topMisses) {
                QVERIFY2(nc.count >= nc.error, nc.name.c_str());
                QVERIFY2(truth[nc.name] >= nc.count - nc.error, nc.name.c_str());
            }
        };
        miss("once");
        {
            const auto m = reg.Metrics();
            QCOMPARE(m.missSampleEvery, 8u);
            QCOMPARE(m.topMisses.size(), 1u);
            QCOMPARE(m.topMisses.front().count, 1u); // not 8: a single miss
            QCOMPARE(m.topMisses.front().error, 0u);
        }
        // Up to K distinct names: exact, whatever the sampling.
        for (int i = 0; i < 79; ++i)
            miss("often");
        miss("b");
        miss("c");
        {
            const auto m = reg.Metrics();
            QCOMPARE(m.lookupMiss, 82u); // the total stays exact
            QCOMPARE(CountOf(m.topMisses, "often"), 79u);
            QCOMPARE(CountOf(m.topMisses, "b"), 1u);
            for (const auto& nc : m.topMisses)
                QCOMPARE(nc.error, 0u);
            check(m);
        }
        // A full table and a flood of distinct names (1 in 8 admitted): the bound still holds,
        // the table stays at K, and the often-missed name keeps its exact count.
        for (int i = 0; i < 500; ++i)
            miss("flood-" + std::to_string(i));
        for (int i = 0; i < 20; ++i)
            miss("often");
        for (int i = 0; i < 30; ++i)
            miss("late"); // admitted on a sampled miss, exact from then on
        const auto m = reg.Metrics();
        QCOMPARE(m.lookupMiss, 632u);
        QVERIFY(m.topMisses.size() <= 4u);
        QCOMPARE(m.topMisses.front().name, std::string("often"));
        QCOMPARE(m.topMisses.front().count, 99u);
        QCOMPARE(m.topMisses.front().error, 0u);
        check(m);
        const auto late = std::ranges::find(m.topMisses, std::string("late"), &NameCount::name);
        QVERIFY(late != m.topMisses.end());
        QVERIFY(late->error > 0); // it took the place of a flood name
        check(m);
        // The same through the retired totals of an exited thread.
        std::thread t([&] {
            for (int i = 0; i < 300; ++i)
                (void)reg.Lookup("t-" + std::to_string(i % 37));
        });
        t.join();
        for (int i = 0; i < 300; ++i)
            truth["t-" + std::to_string(i % 37)]++;
        check(reg.Metrics());
    }

    void metricsSurviveReaderThreadExit() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        std::thread t([&] {
            for (int i = 0; i < 100; ++i) {
                auto h = reg.Lookup("lz4");
                auto miss = reg.Lookup("gone");
                (void)h;
                (void)miss;
            }
        });
        t.join();
        QVERIFY(reg.Lookup("lz4"));
        const auto m = reg.Metrics();
        QCOMPARE(m.lookupHit, 101u);
        QCOMPARE(m.lookupMiss, 100u);
        QCOMPARE(CountOf(m.hitsByName, "lz4"), 101u);
        QCOMPARE(CountOf(m.topMisses, "gone"), 100u);
    }

    void prometheusText() {
        auto opts = Quiet();
        opts.latencySampleEvery = 1;
        Registry<Impl> reg(opts);
        Fill(reg);
        QVERIFY(reg.AddAlias({}, {.alias = "z\"lib", .target = "gzip"}));
        for (int i = 0; i < 3; ++i)
            QVERIFY(reg.Lookup("gzip"));
        QVERIFY(reg.Lookup("z\"lib"));
        QVERIFY(!reg.Lookup("missing"));
        const auto text = QString::fromStdString(reg.Metrics().ToPrometheus());
        const auto lines = text.split(u'\n', Qt::SkipEmptyParts);
        static const QRegularExpression sample(
            uR"(^regscope_registry_[a-z_]+(\{[a-z_]+="([^"\\]|\\.)*"\})? [0-9.e+\-]+$|^regscope_registry_[a-z_]+_bucket\{le="[^"]+"\} [0-9]+$)"_qs);
        static const QRegularExpression meta(uR"(^# (HELP|TYPE) regscope_registry_[a-z_]+ .+$)"_qs);
        for (const auto& l : lines)
            QVERIFY2(sample.match(l).hasMatch() || meta.match(l).hasMatch(), qPrintable(l));
        QVERIFY(lines.contains(u"regscope_registry_lookup_total{outcome=\"hit\"} 4"_qs));
        QVERIFY(lines.contains(u"regscope_registry_lookup_total{outcome=\"miss\"} 1"_qs));
        QVERIFY(lines.contains(u"regscope_registry_lookup_total{outcome=\"error\"} 0"_qs));
        QVERIFY(lines.contains(u"regscope_registry_entries 14"_qs));
        QVERIFY(lines.contains(u"regscope_registry_register_total{outcome=\"ok\"} 14"_qs));
        QVERIFY(
            lines.contains(u"regscope_registry_deprecated_lookup_total{name=\"z\\\"lib\"} 1"_qs));
        QVERIFY(lines.contains(u"regscope_registry_lookup_hits_by_name_total{name=\"gzip\"} 4"_qs));
        QVERIFY(lines.contains(
            u"regscope_registry_lookup_misses_by_name_total{name=\"missing\"} 1"_qs));
        QVERIFY(lines.contains(u"# TYPE regscope_registry_lookup_latency_seconds histogram"_qs));
        QVERIFY(
            lines.contains(u"regscope_registry_lookup_latency_seconds_bucket{le=\"+Inf\"} 5"_qs));
        QVERIFY(lines.contains(u"regscope_registry_lookup_latency_seconds_count 5"_qs));
        // Buckets are cumulative.
        qulonglong last = 0;
        for (const auto& l : lines)
            if (l.startsWith(u"regscope_registry_lookup_latency_seconds_bucket"_qs)) {
                const auto v = l.section(u' ', -1).toULongLong();
                QVERIFY(v >= last);
                last = v;
            }
    }

    // --- observers ---------------------------------------------------------------------------
    void observerEvents() {
        Registry<Impl> reg(Quiet());
        auto obs = std::make_shared<RecordingObserver>();
        const auto id = reg.AddObserver(obs);
        const auto acme = Context::Tenant("acme");
        QVERIFY(reg.Register(acme, "gzip", "1.0.0", Make("g"),
                             {.kind = "compression", .description = "d", .origin = "o"}));
        QVERIFY(reg.AddAlias(
            acme, {.alias = "zlib", .target = "gzip", .message = "m", .removeAfter = "r"}));
        QVERIFY(reg.Lookup(acme, "zlib"));
        QVERIFY(!reg.Register(acme, "gzip", "1.0.0", Make("g")));
        QVERIFY(reg.Deregister(acme, "gzip", "1.0.0"));
        QVERIFY(reg.Reload({}, {{"", "a", "1.0.0", Make("a")}, {"", "b", "2.0.0", Make("b")}}));
        auto ev = obs->Take();
        QCOMPARE(ev.size(), 6u);
        QCOMPARE(ev[0].kind, ChangeKind::Registered);
        QCOMPARE(ev[0].tenant, std::string("acme"));
        QCOMPARE(ev[0].name, std::string("gzip"));
        QCOMPARE(ev[0].version, std::string("1.0.0"));
        QCOMPARE(ev[0].type, std::string("codec"));
        QCOMPARE(ev[0].entryKind, std::string("compression"));
        QCOMPARE(ev[0].description, std::string("d"));
        QCOMPARE(ev[0].origin, std::string("o"));
        QCOMPARE(ev[0].time, kFixedTime);
        QCOMPARE(ev[1].kind, ChangeKind::AliasAdded);
        QCOMPARE(ev[1].aliasOf, std::string("gzip"));
        QCOMPARE(ev[1].entryKind, std::string("compression")); // the target's kind
        QCOMPARE(ev[1].type, std::string("codec"));
        QCOMPARE(ev[1].deprecationMessage, std::string("m"));
        QCOMPARE(ev[1].removeAfter, std::string("r"));
        QVERIFY(ev[1].generation > ev[0].generation);
        QCOMPARE(ev[2].kind, ChangeKind::DeprecatedLookup);
        QCOMPARE(ev[2].name, std::string("zlib"));
        QCOMPARE(ev[2].aliasOf, std::string("gzip"));
        QCOMPARE(ev[3].kind, ChangeKind::Rejected);
        QCOMPARE(ev[3].error, std::optional<ErrorCode>(ErrorCode::Duplicate));
        QCOMPARE(ev[4].kind, ChangeKind::Deregistered);
        QCOMPARE(ev[4].version, std::string("1.0.0"));
        QCOMPARE(ev[5].kind, ChangeKind::Reloaded);
        QCOMPARE(ev[5].added, 2u);
        QCOMPARE(ev[5].removed, 0u);
        QCOMPARE(ev[5].generation, reg.Generation());
        reg.RemoveObserver(id);
        QVERIFY(reg.Register("c", "1.0.0", Make("c")));
        QVERIFY(obs->Take().empty());
    }

    // The lookup path's name check (word-at-a-time) agrees with Register's, for every length
    // and position of a bad byte, and a repeated miss (skipping the check) stays a miss.
    void lookupNameCheck() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        for (std::size_t len : {1u, 2u, 7u, 8u, 9u, 15u, 16u, 17u, 24u, 255u, 256u}) {
            for (std::size_t pos = 0; pos < len; ++pos) {
                for (char bad : {' ', '\t', '\x01', '\x7f', '\0'}) {
                    std::string name(len, 'a');
                    name[pos] = bad;
                    auto h = reg.Lookup(name);
                    QVERIFY(!h);
                    QCOMPARE(h.error().code, ErrorCode::InvalidName);
                    QCOMPARE(reg.Register(name, "1.0.0", Make("x")).error().code,
                             ErrorCode::InvalidName);
                }
            }
            std::string ok(len, 'a');
            ok[len / 2] = '\xc3'; // UTF-8 bytes are not control characters
            for (int i = 0; i < 2; ++i)
                QCOMPARE(reg.Lookup(ok).error().code, ErrorCode::NotFound);
            QCOMPARE(reg.Lookup(std::string(len, '~')).error().code, ErrorCode::NotFound);
        }
        QCOMPARE(reg.Lookup(std::string(257, 'a')).error().code, ErrorCode::InvalidName);
        const auto m = reg.Metrics();
        QCOMPARE(m.lookupMiss, 11u * 3u);
    }

    // An alias event carries its target's kind, resolved as a lookup would: the tenant's
    // layer first, else the global one; the highest version that has a kind.
    void aliasEventKind() {
        Registry<Impl> reg(Quiet());
        auto obs = std::make_shared<RecordingObserver>();
        reg.AddObserver(obs);
        const auto acme = Context::Tenant("acme");
        QVERIFY(reg.Register("gzip", "1.0.0", Make("g1"), {.kind = "compression"}));
        QVERIFY(reg.Register("gzip", "2.0.0", Make("g2"))); // no kind: the older one's counts
        QVERIFY(reg.Register(acme, "gzip", "3.0.0", Make("a"), {.kind = "acme-codec"}));
        QVERIFY(reg.Register(acme, "lz4", "1.0.0", Make("l"))); // tenant has no kind
        QVERIFY(reg.Register("lz4", "1.0.0", Make("l"), {.kind = "fast"}));
        QVERIFY(reg.Register("raw", "1.0.0", Make("r")));
        (void)obs->Take();
        QVERIFY(reg.AddAlias({}, {.alias = "zlib", .target = "gzip"}));
        QVERIFY(reg.AddAlias(acme, {.alias = "deflate", .target = "gzip"}));
        QVERIFY(reg.AddAlias(acme, {.alias = "lz", .target = "lz4"}));
        QVERIFY(reg.AddAlias({}, {.alias = "plain", .target = "raw"}));
        const auto ev = obs->Take();
        QCOMPARE(ev.size(), 4u);
        for (const auto& e : ev)
            QCOMPARE(e.kind, ChangeKind::AliasAdded);
        QCOMPARE(ev[0].entryKind, std::string("compression"));
        QCOMPARE(ev[1].entryKind, std::string("acme-codec"));
        QCOMPARE(ev[2].entryKind, std::string("fast"));
        QCOMPARE(ev[3].entryKind, std::string()); // no kind anywhere: the app shows `type`
        QCOMPARE(ev[3].type, std::string("codec"));
    }

    // --- snapshots, collisions, typed small structs -----------------------------------------
    void snapshotRows() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        QVERIFY(reg.AddAlias(Context::Tenant("acme"),
                             {.alias = "z", .target = "gzip", .message = "m", .removeAfter = "r"}));
        const auto snap = reg.Snapshot();
        QCOMPARE(snap.size(), std::size(kFixture) + 1);
        const auto& last = snap.back(); // tenants sort after the global layer ("")
        QCOMPARE(last.tenant, std::string("acme"));
        QCOMPARE(last.aliasOf, std::string("gzip"));
        QVERIFY(last.deprecated);
        QCOMPARE(last.deprecationMessage, std::string("m"));
        QCOMPARE(last.removeAfter, std::string("r"));
        QCOMPARE(last.version, std::string());
        // Versions of a name come highest first.
        auto firstGzip = std::ranges::find_if(snap, [](const auto& e) { return e.name == "gzip"; });
        QCOMPARE(firstGzip->version, std::string("3.0.0-beta.1"));
        QCOMPARE((firstGzip + 1)->version, std::string("2.1.0"));
        auto legacy =
            std::ranges::find_if(snap, [](const auto& e) { return e.name == "legacy-deflate"; });
        QVERIFY(legacy->deprecated);
        QCOMPARE(legacy->removeAfter, std::string("2027-01-01"));
        QCOMPARE(legacy->description, std::string("old"));
    }

    void collisions() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        QVERIFY(reg.AddAlias({}, {.alias = "zlib", .target = "gzip"}));
        const std::vector<std::string> offered = {"new1", "gzip", "zlib", "new2", "lz4"};
        QCOMPARE(reg.Collisions({}, offered), (std::vector<std::string>{"gzip", "zlib", "lz4"}));
        QVERIFY(reg.Collisions(Context::Tenant("acme"), std::vector<std::string>{"x"}).empty());
    }

    void smallCStruct() {
        struct PluginEntry {
            const char* kind;
            int (*process)(int);
        };
        Registry<PluginEntry> reg(Quiet());
        QVERIFY(reg.Register(
            "double", "1.0.0",
            std::make_shared<PluginEntry>(PluginEntry{"filter", [](int x) { return 2 * x; }}),
            {.kind = "filter", .origin = "/plugins/libdouble.so"}));
        auto h = reg.Lookup("double");
        QVERIFY(h.has_value());
        QCOMPARE((*h)->process(21), 42);
        std::shared_ptr<PluginEntry> kept = h->Share();
        QVERIFY(reg.Deregister({}, "double", "1.0.0"));
        QCOMPARE(kept->process(2), 4); // shared ownership outlives the registration
    }

    // --- hot reload --------------------------------------------------------------------------
    void reloadIsAllOrNothing() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        const auto before = reg.Snapshot().size();
        const auto gen = reg.Generation();
        auto bad =
            reg.Reload({}, {{"", "ok", "1.0.0", Make("ok")}, {"", "broken", "1.0", Make("b")}});
        QVERIFY(!bad);
        QCOMPARE(bad.error().code, ErrorCode::ValidationFailed);
        QCOMPARE(reg.Snapshot().size(), before);
        QCOMPARE(reg.Generation(), gen);
        QCOMPARE(reg.Reload({}, {{"", "n", "1.0.0", nullptr}}).error().code,
                 ErrorCode::ValidationFailed);
        QCOMPARE(reg.Reload({}, {{"", "n", "1.0.0", Make("1")}, {"", "n", "1.0.0", Make("2")}})
                     .error()
                     .code,
                 ErrorCode::ValidationFailed);
        QCOMPARE(
            reg.Reload({}, {{"", "n", "1.0.0", Make("1")}}, {{"", {.alias = "m", .target = "q"}}})
                .error()
                .code,
            ErrorCode::ValidationFailed);

        auto ok = reg.Reload({},
                             {{"", "gzip", "2.1.0", Make("new-gzip")},
                              {"", "fresh", "1.0.0", Make("fresh")},
                              {"acme", "gzip", "5.0.0", Make("acme")}},
                             {{"", {.alias = "zlib", .target = "gzip"}}});
        QVERIFY(ok.has_value());
        QCOMPARE(ok->kept, 1u);
        QCOMPARE(ok->added, 2u);
        QCOMPARE(ok->removed, std::size(kFixture) - 1);
        QCOMPARE(ok->generation, reg.Generation());
        QCOMPARE(LookupId(reg, {}, "gzip"), std::optional<std::string>("new-gzip"));
        QCOMPARE(LookupId(reg, {}, "zlib"), std::optional<std::string>("new-gzip"));
        QCOMPARE(LookupId(reg, Context::Tenant("acme"), "gzip"),
                 std::optional<std::string>("acme"));
        QCOMPARE(reg.Lookup("lz4").error().code, ErrorCode::NotFound);
        QCOMPARE(reg.Names(), (std::vector<std::string>{"fresh", "gzip"}));
    }

    void reloadReleasesOldImplementationsThatReenter() {
        Registry<Impl> reg(Quiet());
        std::atomic<int> destroyed{0};
        std::atomic<bool> reentered{false};
        auto reentrant = [&](const std::string& id) {
            return std::make_shared<Impl>(id, [&reg, &destroyed, &reentered] {
                // An old implementation's cleanup uses the registry: read and write.
                auto h = reg.Lookup("b");
                auto r = reg.Register("cleanup-" + std::to_string(destroyed.fetch_add(1)), "1.0.0",
                                      std::make_shared<Impl>("c"));
                reentered = h.has_value() && r.has_value();
            });
        };
        QVERIFY(reg.Register("a", "1.0.0", reentrant("a1")));
        QVERIFY(reg.Register("b", "1.0.0", reentrant("b1")));
        QVERIFY(reg.Lookup("a")); // this thread now caches the current snapshot

        // A Handle pins the old implementation across the reload.
        std::optional<Handle<Impl>> pinned;
        pinned.emplace(*reg.Lookup("a"));

        std::promise<std::expected<ReloadReport, Error>> done;
        auto result = done.get_future();
        std::thread reloader([&] {
            done.set_value(reg.Reload({}, {{"", "b", "2.0.0", std::make_shared<Impl>("b2")}}));
            reg.ReleaseThreadCache();
        });
        if (result.wait_for(10s) != std::future_status::ready)
            qFatal("Reload deadlocked");
        reloader.join();
        QVERIFY(result.get().has_value());
        // Still alive: this thread's cache and the Handle hold the old snapshot.
        QCOMPARE(destroyed.load(), 0);
        QCOMPARE((*pinned)->id, std::string("a1"));
        QCOMPARE(reg.Lookup("a").error().code, ErrorCode::NotFound); // moves the cache on
        QCOMPARE(destroyed.load(), 0);                               // pinned by the Handle
        pinned.reset(); // last pin gone: the old snapshot is now unreferenced but retired...
        QCOMPARE(destroyed.load(), 0);      // ...readers never run destructors;
        QCOMPARE(reg.ReclaimRetired(), 1u); // the next write or an explicit reclaim does,
        QCOMPARE(destroyed.load(), 2);      // and a1, b1 re-enter the registry from there
        QCOMPARE(reg.ReclaimRetired(), 0u); // the re-entrant Registers reclaimed after themselves
        QVERIFY(reentered.load());
        QVERIFY(reg.Lookup("cleanup-0").has_value());
        QVERIFY(reg.Lookup("cleanup-1").has_value());
    }

    void reloadOnReadingThreadReleasesAtOnce() {
        Registry<Impl> reg(Quiet());
        int destroyed = 0;
        QVERIFY(reg.Register("a", "1.0.0", std::make_shared<Impl>("a", [&reg, &destroyed] {
                                 ++destroyed;
                                 QVERIFY(reg.Lookup("b").has_value()); // re-enters: no deadlock
                             })));
        QVERIFY(reg.Lookup("a"));
        QVERIFY(reg.Reload({}, {{"", "b", "1.0.0", Make("b")}}));
        QCOMPARE(destroyed, 1); // the writer's own cache moved on; nobody else held it
    }
};

QTEST_GUILESS_MAIN(TestRegistryMetrics)
#include "tst_registry_metrics.moc"
