// Readers, a writer, a hot reloader and a metrics/introspection reader running together,
// checking invariants throughout. Runs under ThreadSanitizer in CI (label "concurrency"); no
// sleeps. Budget: the writer and the reloader do at least a minimum number of operations and
// keep going until a time budget is spent (readers and the inspector run until both are done),
// so a plain build gets ~1.5 s of real contention and a ThreadSanitizer build, 5-15x slower
// per operation, stays well under 30 s. REGSCOPE_STRESS_MS in the environment overrides the
// time budget (0: the minimum operation counts only).

#include "models/registry/Registry.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <future>
#include <thread>

using namespace regscope::registry;
using namespace std::chrono_literals;

namespace {

struct Val {
    std::string name;
    int generation; // which writer/reload made it
    std::atomic<long>* live;
    Val(std::string n, int g, std::atomic<long>* l)
        : name(std::move(n))
        , generation(g)
        , live(l) {
        live->fetch_add(1, std::memory_order_relaxed);
    }
    ~Val() { live->fetch_sub(1, std::memory_order_relaxed); }
};

class OrderObserver final : public Observer {
public:
    void OnChange(const ChangeEvent& e) override {
        if (e.kind == ChangeKind::DeprecatedLookup || e.kind == ChangeKind::Rejected)
            return; // delivered on reading threads / without a generation
        // Writer events arrive one at a time, in generation order.
        const auto prev = last.exchange(e.generation);
        if (e.generation < prev)
            outOfOrder.fetch_add(1);
        events.fetch_add(1);
    }
    std::atomic<std::uint64_t> last{0};
    std::atomic<int> outOfOrder{0};
    std::atomic<int> events{0};
};

constexpr int kStable = 32;

std::chrono::milliseconds StressBudget() {
    if (const char* env = std::getenv("REGSCOPE_STRESS_MS")) {
        int ms = 0;
        const auto [end, ec] = std::from_chars(env, env + std::strlen(env), ms);
        if (ec == std::errc() && *end == '\0' && ms >= 0)
            return std::chrono::milliseconds(std::min(ms, 20'000));
    }
#if defined(__SANITIZE_THREAD__)
    return 4'000ms; // ~15x slower per operation: still tens of thousands of writes
#else
    return 1'500ms;
#endif
}

std::string StableName(int i) {
    return "stable-" + std::to_string(i);
}

} // namespace

class TestRegistryConcurrency : public QObject {
    Q_OBJECT

private slots:
    void readersWriterReload() {
        std::atomic<long> live{0};
        {
            RegistryOptions opts;
            opts.typeName = "val";
            opts.audit = std::make_shared<NullAuditSink>();
            opts.latencySampleEvery = 16;
            opts.missTopK = 16;
            Registry<Val> reg(opts);
            for (int i = 0; i < kStable; ++i)
                QVERIFY(reg.Register(StableName(i), "1.0.0",
                                     std::make_shared<Val>(StableName(i), 0, &live)));
            QVERIFY(reg.AddAlias({}, {.alias = "old-stable-0", .target = StableName(0)}));
            auto observer = std::make_shared<OrderObserver>();
            reg.AddObserver(observer);

            // Minimums; the writer and the reloader then go on until the deadline.
            constexpr int kReaderIterations = 20'000;
            constexpr int kWriterOps = 1'500;
            constexpr int kReloads = 40;
            const auto deadline = std::chrono::steady_clock::now() + StressBudget();
            auto more = [&](int done, int minimum) {
                return done < minimum || std::chrono::steady_clock::now() < deadline;
            };
            std::atomic<int> writerOps{0};
            std::atomic<int> reloads{0};
            std::atomic<int> readersDone{0};
            std::atomic<int> writersDone{0};
            std::atomic<int> failures{0};
            std::atomic<std::uint64_t> localHits{0};
            std::atomic<std::uint64_t> localMisses{0};

            auto reader = [&](int seed) {
                std::uint64_t hits = 0, misses = 0;
                std::optional<Handle<Val>> held;
                const Constraint caret1 = *Constraint::Parse("^1");
                // Read until both writers are done (and at least kReaderIterations), with a cap.
                // A cap too, so a reader cannot spin forever if a writer hangs (the join
                // deadline below reports that).
                for (int i = 0;
                     i < 400'000'000 && (i < kReaderIterations || writersDone.load() < 2); ++i) {
                    const int k = (i * 7 + seed) % kStable;
                    const auto name = StableName(k);
                    auto h = (i % 3 == 0) ? reg.Lookup(Context{}, name, caret1) : reg.Lookup(name);
                    if (!h || (*h)->name != name)
                        failures.fetch_add(1);
                    else
                        ++hits;
                    // A held handle stays valid and unchanged whatever the writers do.
                    if (i % 64 == 0)
                        held = *h;
                    if (held && (*held)->name.rfind("stable-", 0) != 0)
                        failures.fetch_add(1);
                    // Volatile names: a hit must be self-consistent; a miss is fine.
                    auto w = reg.Lookup("w" + std::to_string(i % 16));
                    if (w) {
                        ++hits;
                        if ((*w)->name != "w" + std::to_string(i % 16))
                            failures.fetch_add(1);
                    } else if (w.error().code != ErrorCode::NotFound &&
                               w.error().code != ErrorCode::NoMatchingVersion) {
                        failures.fetch_add(1);
                    } else {
                        ++misses;
                    }
                    if (i % 1000 == 0) {
                        auto a = reg.Lookup("old-stable-0");
                        if (a) {
                            ++hits;
                            if (!a->ViaAlias() || (*a)->name != StableName(0))
                                failures.fetch_add(1);
                        } else {
                            ++misses; // between a reload and nothing: aliases are in every set
                            failures.fetch_add(1);
                        }
                    }
                }
                held.reset();
                localHits.fetch_add(hits);
                localMisses.fetch_add(misses);
                readersDone.fetch_add(1);
            };

            auto writer = [&] {
                int op = 0;
                for (; more(op, kWriterOps); ++op) {
                    const auto name = "w" + std::to_string(op % 16);
                    const auto version = "1." + std::to_string(op % 3) + ".0";
                    if (op % 2 == 0) {
                        auto r =
                            reg.Register(name, version, std::make_shared<Val>(name, op, &live));
                        if (!r && r.error().code != ErrorCode::Duplicate)
                            failures.fetch_add(1);
                    } else {
                        auto r = reg.DeregisterAll({}, name);
                        if (!r && r.error().code != ErrorCode::NotFound)
                            failures.fetch_add(1);
                    }
                }
                writerOps.store(op);
                writersDone.fetch_add(1);
            };

            auto reloader = [&] {
                int n = 1;
                for (; more(n - 1, kReloads); ++n) {
                    std::vector<Registration<Val>> set;
                    for (int i = 0; i < kStable; ++i)
                        set.push_back({"",
                                       StableName(i),
                                       "1." + std::to_string(n) + ".0",
                                       std::make_shared<Val>(StableName(i), n, &live),
                                       {}});
                    set.push_back(
                        {"tenant", "w0", "9.0.0", std::make_shared<Val>("w0", n, &live), {}});
                    auto r = reg.Reload({}, std::move(set),
                                        {{"", {.alias = "old-stable-0", .target = StableName(0)}}});
                    if (!r)
                        failures.fetch_add(1);
                }
                reloads.store(n - 1);
                writersDone.fetch_add(1);
            };

            auto inspector = [&] {
                std::uint64_t lastHits = 0;
                while (readersDone.load() < 2) {
                    const auto m = reg.Metrics();
                    if (m.lookupHit < lastHits)
                        failures.fetch_add(1); // counters never go back
                    lastHits = m.lookupHit;
                    if (m.topMisses.size() > 16)
                        failures.fetch_add(1);
                    for (const auto& e : reg.Snapshot())
                        if (e.name.empty() || (e.aliasOf.empty() && e.version.empty()))
                            failures.fetch_add(1);
                    (void)m.ToPrometheus();
                }
            };

            std::vector<std::thread> threads;
            threads.emplace_back(reader, 1);
            threads.emplace_back(reader, 5);
            threads.emplace_back(writer);
            threads.emplace_back(reloader);
            threads.emplace_back(inspector);
            // Deadline on the whole run: a deadlock fails the test instead of hanging CI.
            auto joined = std::async(std::launch::async, [&] {
                for (auto& t : threads)
                    t.join();
            });
            if (joined.wait_for(90s) != std::future_status::ready)
                qFatal("concurrency test did not finish in 90 s (deadlock?)");

            qInfo("budget %lld ms: %d writer ops, %d reloads, %llu reader lookups",
                  static_cast<long long>(StressBudget().count()), writerOps.load(), reloads.load(),
                  static_cast<unsigned long long>(localHits.load() + localMisses.load()));
            QCOMPARE(failures.load(), 0);
            QVERIFY(writerOps.load() >= kWriterOps);
            QVERIFY(reloads.load() >= kReloads);
            QCOMPARE(observer->outOfOrder.load(), 0);
            QVERIFY(observer->events.load() > 0);
            const auto m = reg.Metrics(); // reader threads exited: their counts are retired
            QCOMPARE(m.lookupHit, localHits.load());
            QCOMPARE(m.lookupMiss, localMisses.load());
            QCOMPARE(m.lookupError, 0u);
            reg.ReleaseThreadCache();
        }
        // Every implementation ever registered is gone with the registry and its readers.
        QCOMPARE(live.load(), 0L);
    }

    void handlesOutliveRegistry() {
        std::atomic<long> live{0};
        std::optional<Handle<Val>> h;
        {
            Registry<Val> reg({.audit = std::make_shared<NullAuditSink>()});
            QVERIFY(reg.Register("a", "1.0.0", std::make_shared<Val>("a", 0, &live)));
            h.emplace(*reg.Lookup("a"));
        }
        QCOMPARE((*h)->name, std::string("a"));
        QCOMPARE(live.load(), 1L);
        h.reset();
        // The thread's cache of the dead registry goes when the thread reads another registry.
        Registry<Val> other({.audit = std::make_shared<NullAuditSink>()});
        QVERIFY(!other.Lookup("x"));
        QCOMPARE(live.load(), 0L);
    }
};

QTEST_GUILESS_MAIN(TestRegistryConcurrency)
#include "tst_registry_concurrency.moc"
