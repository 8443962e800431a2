// InProcessConnector against a real models/registry registry: attach (snapshot, health),
// changes as events, reloads merged, rejected calls on the timeline, metrics sampled on the
// connector's thread, and Down with a reason when detached or when the registry goes away.

#include "connectors/inprocess/DemoRegistry.h"
#include "connectors/inprocess/InProcessConnector.h"
#include "connectors/inprocess/RegistryEvents.h"
#include "models/MetricNames.h"
#include "models/Store.h"
#include "models/registry/Registry.h"

#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;
namespace reg = regscope::registry;

namespace {

struct Codec {
    virtual ~Codec() = default;
};

std::shared_ptr<reg::Registry<Codec>> makeRegistry() {
    reg::RegistryOptions o;
    o.typeName = "codec";
    o.audit = std::make_shared<reg::NullAuditSink>();
    o.latencySampleEvery = 1;
    auto r = std::make_shared<reg::Registry<Codec>>(std::move(o));
    (void)r->Register("gzip", "1.2.0", std::make_shared<Codec>(), {.kind = "compression"});
    (void)r->Register("gzip", "1.3.0", std::make_shared<Codec>());
    (void)r->Register(reg::Context::Tenant("acme"), "zstd", "1.5.5", std::make_shared<Codec>());
    (void)r->AddAlias({}, {.alias = "zlib", .target = "gzip", .message = "use gzip"});
    return r;
}

InProcessConnector::Options fast() {
    InProcessConnector::Options o;
    o.url = u"test"_s;
    o.metricsIntervalMs = 100;
    o.batchIntervalMs = 10;
    return o;
}

bool hasTimeline(const Store& store, QStringView category) {
    for (const TimelineEvent& e : store.timeline()) {
        if (e.category == category)
            return true;
    }
    return false;
}

} // namespace

class TestInProcess : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { registerConnectorMetaTypes(); }
    void attachesWithSnapshot();
    void followsChanges();
    void reloadIsMerged();
    void samplesMetrics();
    void downWhenDetachedOrGone();
    void demoRegistryIsAlive();
    void demoUrlOptions();
    void latencyQuantilesArePerInterval();
};

void TestInProcess::attachesWithSnapshot() {
    auto registry = makeRegistry();
    Store store;
    InProcessConnector connector(registry, fast());
    connect(&connector, &Connector::eventsReady, &store, &Store::apply);
    connector.start();
    QTRY_VERIFY_WITH_TIMEOUT(store.health().state == HealthState::Live, 5000);
    QCOMPARE(store.count(RecordKind::Entry), 4);
    const auto* gzip = std::get_if<EntryRecord>(store.find(RecordKind::Entry, u"/gzip@1.2.0"_s));
    QVERIFY(gzip);
    QCOMPARE(gzip->type, u"compression"_s); // the entry's kind, else the registry's type
    const auto* zlib = std::get_if<EntryRecord>(store.find(RecordKind::Entry, u"/zlib"_s));
    QVERIFY(zlib);
    QCOMPARE(zlib->aliasOf, u"gzip"_s);
    QVERIFY(zlib->deprecated);
    QVERIFY(store.find(RecordKind::Entry, u"acme/zstd@1.5.5"_s));
}

void TestInProcess::followsChanges() {
    auto registry = makeRegistry();
    Store store;
    InProcessConnector connector(registry, fast());
    connect(&connector, &Connector::eventsReady, &store, &Store::apply);
    connector.start();
    QTRY_VERIFY_WITH_TIMEOUT(store.health().state == HealthState::Live, 5000);

    QVERIFY(registry->Register("lz4", "1.9.4", std::make_shared<Codec>()).has_value());
    QTRY_VERIFY_WITH_TIMEOUT(store.find(RecordKind::Entry, u"/lz4@1.9.4"_s), 5000);
    // A live alias shows its target's kind, as the snapshot does, not the registry's type.
    QVERIFY(registry->AddAlias({}, {.alias = "deflate", .target = "gzip"}).has_value());
    QTRY_VERIFY_WITH_TIMEOUT(store.find(RecordKind::Entry, u"/deflate"_s), 5000);
    const auto* deflate = std::get_if<EntryRecord>(store.find(RecordKind::Entry, u"/deflate"_s));
    QVERIFY(deflate);
    QCOMPARE(deflate->type, u"compression"_s);
    QCOMPARE(deflate->aliasOf, u"gzip"_s);
    QVERIFY(registry->Deregister({}, "gzip", "1.2.0").has_value());
    QTRY_VERIFY_WITH_TIMEOUT(!store.find(RecordKind::Entry, u"/gzip@1.2.0"_s), 5000);
    QVERIFY(registry->RemoveAlias({}, "zlib").has_value());
    QTRY_VERIFY_WITH_TIMEOUT(!store.find(RecordKind::Entry, u"/zlib"_s), 5000);
    const auto dup = registry->Register("lz4", "1.9.4", std::make_shared<Codec>());
    QVERIFY(!dup && dup.error().code == reg::ErrorCode::Duplicate);
    QTRY_VERIFY_WITH_TIMEOUT(hasTimeline(store, u"rejected"), 5000);
    QVERIFY(hasTimeline(store, u"register"));
    QVERIFY(hasTimeline(store, u"deregister"));
    QCOMPARE(store.count(RecordKind::Entry), 4); // lz4, gzip 1.3.0, acme/zstd, deflate
}

void TestInProcess::reloadIsMerged() {
    auto registry = makeRegistry();
    Store store;
    InProcessConnector connector(registry, fast());
    connect(&connector, &Connector::eventsReady, &store, &Store::apply);
    connector.start();
    QTRY_VERIFY_WITH_TIMEOUT(store.health().state == HealthState::Live, 5000);
    QSignalSpy changed(&store, &Store::recordsChanged);
    // gzip 1.3.0 stays, gzip 1.2.0 and the alias and acme's zstd go, brotli comes.
    std::vector<reg::Registration<Codec>> set;
    set.push_back({"", "gzip", "1.3.0", std::make_shared<Codec>(), {}});
    set.push_back({"", "brotli", "1.1.0", std::make_shared<Codec>(), {}});
    const auto report = registry->Reload({}, std::move(set));
    QVERIFY(report.has_value());
    QTRY_VERIFY_WITH_TIMEOUT(hasTimeline(store, u"reload"), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(store.count(RecordKind::Entry), 2, 5000);
    QVERIFY(store.find(RecordKind::Entry, u"/brotli@1.1.0"_s));
    QVERIFY(store.find(RecordKind::Entry, u"/gzip@1.3.0"_s));
    QStringList removed;
    for (const auto& args : changed)
        removed += args.at(2).toStringList();
    removed.sort();
    QCOMPARE(removed, (QStringList{u"/gzip@1.2.0"_s, u"/zlib"_s, u"acme/zstd@1.5.5"_s}));
}

void TestInProcess::samplesMetrics() {
    auto registry = makeRegistry();
    Store store;
    InProcessConnector connector(registry, fast());
    connect(&connector, &Connector::eventsReady, &store, &Store::apply);
    connector.start();
    QTRY_VERIFY_WITH_TIMEOUT(store.health().state == HealthState::Live, 5000);
    for (int i = 0; i < 10; ++i)
        (void)registry->Lookup("gzip");
    (void)registry->Lookup("gzpi");
    (void)registry->Lookup("zlib");
    QSignalSpy sampled(&store, &Store::metricsSampled);
    QTRY_VERIFY_WITH_TIMEOUT(!store.metrics().empty() &&
                                 metric::value((*store.metrics().latest()), metric::kLookupTotal,
                                               metric::kOutcome, u"hit") >= 11,
                             5000);
    const MetricsSample& s = (*store.metrics().latest());
    QCOMPARE(metric::value(s, metric::kLookupTotal, metric::kOutcome, u"miss"), 1.0);
    // Per-name misses are the registry's sampled estimate (weight per sampled miss).
    QVERIFY(metric::value(s, metric::kMissesByName, metric::kName, u"gzpi") >= 1.0);
    QCOMPARE(metric::value(s, metric::kDeprecatedLookups, metric::kName, u"zlib"), 1.0);
    QCOMPARE(metric::value(s, metric::kEntries), 3.0);
    QVERIFY(metric::value(s, metric::kLookupLatency, metric::kQuantile, u"0.99") > 0);
    QVERIFY(sampled.count() >= 1 || sampled.wait(2000));
}

void TestInProcess::downWhenDetachedOrGone() {
    auto registry = makeRegistry();
    Store store;
    {
        InProcessConnector connector(registry, fast());
        connect(&connector, &Connector::eventsReady, &store, &Store::apply);
        connector.start();
        QTRY_VERIFY_WITH_TIMEOUT(store.health().state == HealthState::Live, 5000);
        connector.stop();
        QTRY_VERIFY_WITH_TIMEOUT(store.health().state == HealthState::Down, 5000);
        QVERIFY(!store.health().reason.isEmpty());
    }
    Store other;
    InProcessConnector connector(registry, fast());
    connect(&connector, &Connector::eventsReady, &other, &Store::apply);
    connector.start();
    QTRY_VERIFY_WITH_TIMEOUT(other.health().state == HealthState::Live, 5000);
    registry.reset(); // the registry is destroyed under the connector
    QTRY_VERIFY_WITH_TIMEOUT(other.health().state == HealthState::Down, 5000);
    QVERIFY(other.health().reason.contains(u"destroyed"));
}

void TestInProcess::demoRegistryIsAlive() {
    DemoRegistry::Options options;
    options.lookupsPerSecond = 5000;
    options.churnEverySeconds = 1;
    DemoRegistry demo(options);
    Store store;
    InProcessConnector connector(demo.registry(), fast());
    connect(&connector, &Connector::eventsReady, &store, &Store::apply);
    connector.start();
    demo.startWorkload();
    QTRY_COMPARE_WITH_TIMEOUT(store.count(RecordKind::Entry), qsizetype(DemoRegistry::entryCount()),
                              5000);
    // Hits, misses, errors and deprecated lookups all move within a couple of samples.
    QTRY_VERIFY_WITH_TIMEOUT(
        store.metrics().size() >= 2 &&
            metric::value((*store.metrics().latest()), metric::kLookupTotal, metric::kOutcome,
                          u"miss") > 0 &&
            metric::value((*store.metrics().latest()), metric::kLookupTotal, metric::kOutcome,
                          u"error") > 0 &&
            metric::has((*store.metrics().latest()), metric::kDeprecatedLookups),
        5000);
    QTRY_VERIFY_WITH_TIMEOUT(hasTimeline(store, u"register"), 5000); // the churn
    demo.stopWorkload();
}

void TestInProcess::demoUrlOptions() {
    DemoRegistry::Options o;
    QString error;
    QVERIFY(DemoRegistry::parseUrl(u"demo?rate=100&reload=0&seed=7"_s, &o, &error));
    QCOMPARE(o.lookupsPerSecond, 100);
    QCOMPARE(o.reloadEverySeconds, 0);
    QCOMPARE(o.seed, 7u);
    QVERIFY(!DemoRegistry::parseUrl(u"demo?rate=fast"_s, &o, &error));
    QVERIFY(!DemoRegistry::parseUrl(u"demo?colour=red"_s, &o, &error));
}

QTEST_GUILESS_MAIN(TestInProcess)
// The chart plots latency over time: each sample's quantiles are those of the lookups timed
// since the previous sample, not since the registry started.
void TestInProcess::latencyQuantilesArePerInterval() {
    const auto quantiles = [](const MetricsSample& s) {
        QMap<QString, double> q;
        for (const MetricPoint& p : s.points)
            if (p.name == metric::kLookupLatency)
                q.insert(p.labels.value(metric::kQuantile.toString()), p.value);
        return q;
    };
    registry::MetricsSnapshot before;
    before.latency.boundsSeconds = {1e-6, 1e-4};
    before.latency.counts = {1000, 0, 0}; // a thousand fast lookups so far
    before.latency.count = 1000;
    registry::MetricsSnapshot after = before;
    after.latency.counts = {1000, 10, 0}; // then ten slow ones
    after.latency.count = 1010;

    QCOMPARE(quantiles(toMetricsSample(after, 0)).value(u"0.5"_s), 1e-6); // since the start
    const auto interval = quantiles(toMetricsSample(after, 0, &before.latency));
    QCOMPARE(interval.value(u"0.5"_s), 1e-4); // only the ten slow ones
    QCOMPARE(interval.value(u"0.99"_s), 1e-4);
    QVERIFY(quantiles(toMetricsSample(after, 0, &after.latency)).isEmpty()); // none timed
}

#include "tst_inprocess.moc"
