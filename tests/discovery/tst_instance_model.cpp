// InstanceModel, its filter proxy and the instances timeline, under QAbstractItemModelTester,
// fed through the real Store; time comes from a fake clock.

#include "models/ItemRoles.h"
#include "models/Store.h"
#include "models/instances/InstanceFilterProxy.h"
#include "models/instances/InstanceModel.h"
#include "models/instances/InstanceTimelineModel.h"
#include "models/instances/ProtectionStatus.h"

#include <QAbstractItemModelTester>
#include <QSet>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

constexpr qint64 kNowMs = 1'800'000'000'000;

InstanceRecord inst(const QString& appid, const QString& host, const QString& zone = u"z1"_s,
                    int status = 1, qint64 renewAgoMs = 0) {
    InstanceRecord r;
    r.appid = appid;
    r.hostname = host;
    r.zone = zone;
    r.env = u"prod"_s;
    r.addrs = {u"http://10.0.0.1:80"_s};
    r.version = u"1.0"_s;
    r.status = status;
    r.regTimestampNs = (kNowMs - 100'000) * 1'000'000;
    r.renewTimestampNs = (kNowMs - renewAgoMs) * 1'000'000;
    r.source = u"discovery"_s;
    // As the connector judges it: the server said so at kNowMs, renew interval 30 s.
    r.renewAgeMs = renewAgoMs;
    r.observedAtMs = kNowMs;
    r.staleness = renewAgoMs > 60'000 ? Staleness::Stale : Staleness::Fresh;
    return r;
}

MetricsSample freshness(qint64 asOfMs, double refreshSeconds = 5) {
    MetricsSample s;
    s.timestampMs = asOfMs;
    s.points = {{u"regscope_instances_as_of_seconds"_s, {}, double(asOfMs) / 1000.0},
                {u"regscope_instances_refresh_interval_seconds"_s, {}, refreshSeconds}};
    return s;
}

void send(Store& store, EventBatch batch) {
    store.apply(std::make_shared<const EventBatch>(std::move(batch)));
    store.flush();
}

QModelIndex appRow(const QAbstractItemModel& m, const QString& appid) {
    for (int i = 0; i < m.rowCount(); ++i)
        if (m.index(i, 0).data(InstanceModel::AppIdRole).toString() == appid)
            return m.index(i, 0);
    return {};
}

int countLeaves(const QAbstractItemModel& m) {
    int n = 0;
    for (int i = 0; i < m.rowCount(); ++i)
        n += m.rowCount(m.index(i, 0));
    return n;
}

} // namespace

class TestInstanceModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<RecordKind>(); }
    void batchesWithoutReset();
    void staleAndProjectedEviction();
    void timingFromMetrics();
    void proxyFilters();
    void timelineIsBoundedPerCategory();
    void protectionStatus();
    void leaseHeldInstancesAreNeverStale();
    void verdictIsTheServersNotOurCopysAge();
    void tickSignalsNothing();
    void scatteredRemovalsAreBatched();
    void groupHeadersShowFilteredCounts();
    void storeClearForgetsTheOldSource();
};

void TestInstanceModel::batchesWithoutReset() {
    Store store;
    InstanceModel model(&store);
    model.setTickInterval(0);
    model.setNowFunction([] { return kNowMs; });
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removes(&model, &QAbstractItemModel::rowsRemoved);

    SnapshotEvent snap;
    snap.kind = RecordKind::Instance;
    for (int i = 0; i < 5; ++i)
        snap.records.emplace_back(inst(u"app.a"_s, u"a%1"_s.arg(i)));
    for (int i = 0; i < 3; ++i)
        snap.records.emplace_back(inst(u"app.b"_s, u"b%1"_s.arg(i)));
    send(store, {snap});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(countLeaves(model), 8);
    QCOMPARE(inserts.size(), 1); // one insert for both new apps, children included
    QCOMPARE(model.rowCount(appRow(model, u"app.a"_s)), 5);

    // Changed, added to a known app, a new app: one flush.
    auto changed = inst(u"app.a"_s, u"a1"_s);
    changed.version = u"2.0"_s;
    send(store, {UpsertEvent{changed}, UpsertEvent{inst(u"app.a"_s, u"a9"_s)},
                 UpsertEvent{inst(u"app.a"_s, u"a8"_s)}, UpsertEvent{inst(u"app.c"_s, u"c0"_s)}});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.rowCount(appRow(model, u"app.a"_s)), 7);
    QCOMPARE(inserts.size(), 3); // two into app.a in one run + one new app
    bool found = false;
    const QModelIndex a = appRow(model, u"app.a"_s);
    for (int i = 0; i < model.rowCount(a); ++i)
        if (model.index(i, InstanceModel::NameColumn, a).data().toString() == u"a1"_s) {
            QCOMPARE(model.index(i, InstanceModel::VersionColumn, a).data().toString(), u"2.0"_s);
            found = true;
        }
    QVERIFY(found);

    // Removals: a run of rows in app.a, and a whole app.
    send(store, {RemoveEvent{RecordKind::Instance, u"app.a/z1/prod/a2"_s},
                 RemoveEvent{RecordKind::Instance, u"app.a/z1/prod/a3"_s},
                 RemoveEvent{RecordKind::Instance, u"app.c/z1/prod/c0"_s}});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowCount(appRow(model, u"app.a"_s)), 5);
    QCOMPARE(removes.size(), 2);
    QCOMPARE(model.instanceCount(), 8);
    // Every instance of app.b goes: the app row goes with them.
    send(store, {RemoveEvent{RecordKind::Instance, u"app.b/z1/prod/b0"_s},
                 RemoveEvent{RecordKind::Instance, u"app.b/z1/prod/b1"_s},
                 RemoveEvent{RecordKind::Instance, u"app.b/z1/prod/b2"_s}});
    QCOMPARE(model.rowCount(), 1);
    QVERIFY(!appRow(model, u"app.b"_s).isValid());
    // A snapshot that drops app.a's rows and brings them back.
    SnapshotEvent again;
    again.kind = RecordKind::Instance;
    again.records.emplace_back(inst(u"app.d"_s, u"d0"_s));
    send(store, {again});
    QCOMPARE(model.rowCount(), 1);
    QVERIFY(appRow(model, u"app.d"_s).isValid());
    QCOMPARE(resets.size(), 0);
    // Other kinds are ignored.
    KeyRecord k;
    k.key = "/x";
    send(store, {UpsertEvent{k}});
    QCOMPARE(model.rowCount(), 1);
}

void TestInstanceModel::staleAndProjectedEviction() {
    Store store;
    InstanceModel model(&store);
    model.setTickInterval(0);
    qint64 now = kNowMs;
    model.setNowFunction([&now] { return now; });
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    InstanceModel::Timing t;
    t.renewIntervalMs = 30'000;
    t.evictThresholdMs = 90'000;
    t.evictIntervalMs = 60'000;
    t.nextEvictionPassMs = kNowMs + 10'000;
    model.setTiming(t);
    send(store, {UpsertEvent{inst(u"app"_s, u"fresh"_s, u"z1"_s, 1, 5'000)},
                 UpsertEvent{inst(u"app"_s, u"old"_s, u"z1"_s, 1, 70'000)}});
    const QModelIndex app = appRow(model, u"app"_s);
    QModelIndex fresh, old;
    for (int i = 0; i < model.rowCount(app); ++i) {
        const auto idx = model.index(i, 0, app);
        (idx.data().toString() == u"fresh"_s ? fresh : old) = idx;
    }
    QVERIFY(!fresh.data(InstanceModel::StaleRole).toBool());
    QVERIFY(old.data(InstanceModel::StaleRole).toBool()); // the server said 70 s > 2 x 30 s
    QVERIFY(app.data(InstanceModel::StaleRole).toBool());
    QCOMPARE(model.staleCount(), 1);
    QCOMPARE(old.siblingAtColumn(InstanceModel::StaleColumn).data().toString(), u"STALE"_s);
    // old: renewed at now-70 s, eligible at now+20 s; passes at now+10, +70: goes at +70 s.
    QCOMPARE(old.data(InstanceModel::ProjectedEvictionMsRole).toLongLong(), kNowMs + 70'000);
    QVERIFY(!old.siblingAtColumn(InstanceModel::EvictionColumn).data().toString().isEmpty());
    // fresh renews: nothing is going to evict it, the Eviction column stays blank.
    QCOMPARE(fresh.data(InstanceModel::ProjectedEvictionMsRole).toLongLong(), 0);
    QCOMPARE(fresh.siblingAtColumn(InstanceModel::EvictionColumn).data().toString(), QString());
    // Colours are states, never brushes: the view's theme paints them.
    QCOMPARE(old.siblingAtColumn(InstanceModel::StaleColumn).data(StateRole).toInt(),
             int(ItemState::Stale));
    QCOMPARE(old.data(RowStateRole).toInt(), int(ItemState::Stale));
    QVERIFY(!fresh.data(RowStateRole).isValid());
    QVERIFY(!old.data(Qt::BackgroundRole).isValid());
    QVERIFY(!old.siblingAtColumn(InstanceModel::StaleColumn).data(Qt::ForegroundRole).isValid());

    // Self-protection holds them until the ceiling.
    t.selfProtection = true;
    t.evictCeilingMs = 3'600'000;
    model.setTiming(t);
    QVERIFY(old.data(InstanceModel::ProjectedEvictionMsRole).toLongLong() > kNowMs + 3'500'000);
}

// Issue 10 #1: the age of our copy is not the server's verdict. The server said "renewed
// 1 s ago" at kNowMs; 5 s later (copy 5 s old, renew interval 2 s) it is still not stale, and
// once the data is too old to judge the verdict is "unknown (data N s old)", never STALE.
void TestInstanceModel::verdictIsTheServersNotOurCopysAge() {
    Store store;
    InstanceModel model(&store);
    model.setTickInterval(0);
    qint64 now = kNowMs;
    model.setNowFunction([&now] { return now; });
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    MetricsSample timing = freshness(kNowMs, 1);
    timing.points.push_back({u"discovery_renew_interval_seconds"_s, {}, 2});
    send(store, {timing, UpsertEvent{inst(u"app"_s, u"h1"_s, u"z1"_s, 1, 1'000)}});
    const QModelIndex row = model.index(0, 0, appRow(model, u"app"_s));
    now += 2'500; // 3.5 s since the renew, our copy 2.5 s old: fresh, ages still count
    QCOMPARE(row.data(InstanceModel::StaleRole).toBool(), false);
    QCOMPARE(row.data(InstanceModel::RenewAgeMsRole).toLongLong(), 3'500);
    QCOMPARE(model.staleCount(), 0);
    QVERIFY(!model.dataTooOld());
    // 3 refresh intervals (1 s) without news: too old to judge. Ages stop at the last update.
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    now = kNowMs + 4'000;
    model.tick();
    QVERIFY(model.dataTooOld());
    QVERIFY(!changed.isEmpty()); // the rows are told once, at the crossing
    QCOMPARE(row.data(InstanceModel::StaleRole).toBool(), false);
    QCOMPARE(row.data(InstanceModel::VerdictRole).toInt(), int(InstanceModel::Verdict::Unknown));
    QCOMPARE(row.siblingAtColumn(InstanceModel::StaleColumn).data().toString(),
             u"unknown (data 4.0 s old)"_s);
    QCOMPARE(row.data(InstanceModel::RenewAgeMsRole).toLongLong(), 1'000);
    now += 10'000;
    QCOMPARE(row.data(InstanceModel::RenewAgeMsRole).toLongLong(), 1'000);
    // News again: the server's verdict is back.
    send(store, {freshness(now, 1)});
    QVERIFY(!model.dataTooOld());
    QCOMPARE(row.data(InstanceModel::VerdictRole).toInt(), int(InstanceModel::Verdict::Fresh));
}

// Issue 10 #13: the clock moving signals nothing; ages are derived when a cell is read.
void TestInstanceModel::tickSignalsNothing() {
    Store store;
    InstanceModel model(&store);
    model.setTickInterval(0);
    qint64 now = kNowMs;
    model.setNowFunction([&now] { return now; });
    SnapshotEvent snap;
    snap.kind = RecordKind::Instance;
    for (int i = 0; i < 500; ++i)
        snap.records.emplace_back(inst(u"app%1"_s.arg(i % 7), u"h%1"_s.arg(i)));
    send(store, {freshness(kNowMs), snap});
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    const QModelIndex row = model.index(0, 0, model.index(0, 0));
    for (int s = 1; s <= 10; ++s) {
        now = kNowMs + s * 1'000;
        model.tick();
    }
    QCOMPARE(changed.size(), 0);
    QCOMPARE(row.data(InstanceModel::RenewAgeMsRole).toLongLong(), 10'000);
}

// Issue 10 #12: removals scattered through one app are one layout change and one removal,
// not one removal per row; rows and persistent indexes stay right.
void TestInstanceModel::scatteredRemovalsAreBatched() {
    Store store;
    InstanceModel model(&store);
    model.setTickInterval(0);
    model.setNowFunction([] { return kNowMs; });
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    InstanceFilterProxy proxy;
    proxy.setSourceModel(&model);
    proxy.sort(InstanceModel::NameColumn);
    QAbstractItemModelTester proxyTester(&proxy,
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
    SnapshotEvent snap;
    snap.kind = RecordKind::Instance;
    for (int i = 0; i < 2'000; ++i)
        snap.records.emplace_back(inst(u"burst"_s, u"h%1"_s.arg(i, 5, 10, QLatin1Char('0'))));
    snap.records.emplace_back(inst(u"other"_s, u"o1"_s));
    send(store, {snap});
    const QModelIndex burst = appRow(model, u"burst"_s);
    QPersistentModelIndex keep;
    for (int i = 0; i < model.rowCount(burst); ++i)
        if (model.index(i, 0, burst).data().toString() == u"h01001"_s)
            keep = model.index(i, 0, burst);
    QVERIFY(keep.isValid());
    QSignalSpy removes(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy proxyRemoves(&proxy, &QAbstractItemModel::rowsRemoved);
    EventBatch gone;
    for (int i = 0; i < 2'000; i += 2)
        gone.push_back(RemoveEvent{RecordKind::Instance,
                                   u"burst/z1/prod/h%1"_s.arg(i, 5, 10, QLatin1Char('0'))});
    send(store, std::move(gone));
    QCOMPARE(removes.size(), 1);
    QCOMPARE(proxyRemoves.size(), 1); // and the proxy passes it on as one, not 1,000
    // Sorted by name, the survivors are in order in the model and through the proxy.
    QPersistentModelIndex pb = appRow(proxy, u"burst"_s);
    QCOMPARE(pb.data(InstanceModel::AppIdRole).toString(), u"burst"_s);
    QCOMPARE(proxy.index(0, 0, pb).data().toString(), u"h00001"_s);
    QCOMPARE(proxy.index(1, 0, pb).data().toString(), u"h00003"_s);
    QCOMPARE(model.rowCount(appRow(model, u"burst"_s)), 1'000);
    QCOMPARE(model.instanceCount(), 1'001);
    QVERIFY(keep.isValid());
    QCOMPARE(keep.data().toString(), u"h01001"_s);
    QSet<QString> left;
    for (int i = 0; i < model.rowCount(burst); ++i)
        left.insert(model.index(i, 0, burst).data().toString());
    QCOMPARE(left.size(), 1'000);
    QVERIFY(left.contains(u"h00001"_s) && !left.contains(u"h00002"_s));
    QCOMPARE(countLeaves(proxy), 1'001);
    // A burst of new names between the old ones: one insert, one layout change, in order.
    QSignalSpy inserts(&proxy, &QAbstractItemModel::rowsInserted);
    EventBatch burstIn;
    for (int i = 0; i < 2'000; i += 2)
        burstIn.push_back(UpsertEvent{inst(u"burst"_s, u"h%1"_s.arg(i, 5, 10, QLatin1Char('0')))});
    send(store, std::move(burstIn));
    QCOMPARE(inserts.size(), 1);
    QCOMPARE(proxy.rowCount(pb), 2'000);
    for (int i = 0; i < 2'000; i += 250)
        QCOMPARE(proxy.index(i, 0, pb).data().toString(), u"h%1"_s.arg(i, 5, 10, QLatin1Char('0')));
    QCOMPARE(keep.data().toString(), u"h01001"_s);
    // Back to the state the rest of this test expects.
    EventBatch out;
    for (int i = 0; i < 2'000; i += 2)
        out.push_back(RemoveEvent{RecordKind::Instance,
                                  u"burst/z1/prod/h%1"_s.arg(i, 5, 10, QLatin1Char('0'))});
    send(store, std::move(out));
    // The same across apps: 600 apps of one instance each, every other one goes.
    SnapshotEvent many;
    many.kind = RecordKind::Instance;
    for (int i = 0; i < 600; ++i)
        many.records.emplace_back(inst(u"a%1"_s.arg(i, 4, 10, QLatin1Char('0')), u"h"_s));
    send(store, {many});
    QCOMPARE(model.rowCount(), 600);
    removes.clear();
    EventBatch apps;
    for (int i = 0; i < 600; i += 2)
        apps.push_back(
            RemoveEvent{RecordKind::Instance, u"a%1/z1/prod/h"_s.arg(i, 4, 10, QLatin1Char('0'))});
    send(store, std::move(apps));
    QCOMPARE(removes.size(), 1);
    QCOMPARE(model.rowCount(), 300);
    QVERIFY(appRow(model, u"a0001"_s).isValid());
    QVERIFY(!appRow(model, u"a0002"_s).isValid());
    QCOMPARE(proxy.rowCount(), 300);
}

// Friction list: a filtered group says how many of its instances it shows.
void TestInstanceModel::groupHeadersShowFilteredCounts() {
    Store store;
    InstanceModel model(&store);
    model.setTickInterval(0);
    model.setNowFunction([] { return kNowMs; });
    InstanceFilterProxy proxy;
    proxy.setSourceModel(&model);
    EventBatch batch;
    for (int i = 0; i < 31; ++i)
        batch.push_back(UpsertEvent{inst(u"names"_s, u"n%1"_s.arg(i), i < 3 ? u"z2"_s : u"z1"_s)});
    send(store, std::move(batch));
    QCOMPARE(proxy.index(0, 0).data().toString(), u"names (31)"_s);
    proxy.setZoneFilter(u"z2"_s);
    QCOMPARE(proxy.index(0, 0).data().toString(), u"names (3 of 31)"_s);
}

// An instance from etcd's service layout has no renew time: a lease keeps it, or nothing
// does (issue 10 #7: a key without a lease says neither "lease" nor "when its lease expires").
void TestInstanceModel::leaseHeldInstancesAreNeverStale() {
    Store store;
    InstanceModel model(&store);
    model.setTickInterval(0);
    model.setNowFunction([] { return kNowMs; });
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    InstanceRecord bare = inst(u"billing"_s, u"host-1"_s);
    bare.regTimestampNs = 0;
    bare.renewTimestampNs = 0;
    bare.renewAgeMs = -1;
    bare.staleness = Staleness::Unknown;
    bare.source = u"etcd"_s;
    InstanceRecord leased = bare;
    leased.hostname = u"host-3"_s;
    leased.leaseId = 0x1f;
    send(store, {UpsertEvent{bare}, UpsertEvent{leased},
                 UpsertEvent{inst(u"billing"_s, u"host-2"_s, u"z1"_s, 1, 600'000)}});
    const QModelIndex app = appRow(model, u"billing"_s);
    QCOMPARE(model.rowCount(app), 3);
    QCOMPARE(model.staleCount(), 1); // only the discovery instance that stopped renewing
    for (int i = 0; i < model.rowCount(app); ++i) {
        const QModelIndex row = model.index(i, 0, app);
        const QString renew = row.siblingAtColumn(InstanceModel::RenewAgeColumn).data().toString();
        const QString evict = row.siblingAtColumn(InstanceModel::EvictionColumn).data().toString();
        if (row.data().toString() == u"host-1"_s) {
            QVERIFY(!row.data(InstanceModel::StaleRole).toBool());
            QCOMPARE(renew, u"—"_s);
            QCOMPARE(evict, QString());
            QCOMPARE(row.siblingAtColumn(InstanceModel::RegisteredColumn).data().toString(),
                     u"—"_s);
        } else if (row.data().toString() == u"host-3"_s) {
            QVERIFY(!row.data(InstanceModel::StaleRole).toBool());
            QCOMPARE(renew, u"lease 1f"_s);
            QCOMPARE(evict, u"when lease 1f expires"_s);
        }
    }
    // The lease's TTL reaches the Store: the Instances view counts it down too.
    LeaseInfo lease;
    lease.id = 0x1f;
    lease.ttl = 9;
    lease.grantedTtl = 10;
    lease.fetchedAtMs = kNowMs - 2'000;
    send(store, {LeasesEvent{{lease}}});
    for (int i = 0; i < model.rowCount(app); ++i) {
        const QModelIndex row = model.index(i, 0, app);
        if (row.data().toString() != u"host-3"_s)
            continue;
        QCOMPARE(row.siblingAtColumn(InstanceModel::RenewAgeColumn).data().toString(),
                 u"lease 1f (TTL 10 s)"_s);
        QCOMPARE(row.siblingAtColumn(InstanceModel::EvictionColumn).data().toString(),
                 u"lease expires in 7.0 s"_s);
    }
}

// Issue 10 #3: a source switch (Store::clear) takes the old source's timing, freshness and
// timeline rows with it at once.
void TestInstanceModel::storeClearForgetsTheOldSource() {
    Store store;
    InstanceModel model(&store);
    model.setTickInterval(0);
    model.setNowFunction([] { return kNowMs; });
    InstanceTimelineModel cancels(&store, u"instance-cancel"_s, 1000);
    MetricsSample s = freshness(kNowMs);
    s.points.push_back({u"discovery_self_protection"_s, {}, 1});
    send(store, {s, UpsertEvent{inst(u"a"_s, u"h"_s)},
                 TimelineEvent{kNowMs, u"instance-cancel"_s, u"x"_s, u"cancelled x"_s}});
    QVERIFY(model.timing().selfProtection);
    QCOMPARE(cancels.rowCount(), 1);
    QCOMPARE(model.asOfMs(), kNowMs);
    store.clear();
    QCOMPARE(cancels.rowCount(), 0);
    QCOMPARE(model.instanceCount(), 0);
    QVERIFY(!model.timing().selfProtection);
    QCOMPARE(model.asOfMs(), 0);
}

void TestInstanceModel::timingFromMetrics() {
    Store store;
    InstanceModel model(&store);
    model.setTickInterval(0);
    MetricsSample s;
    s.points = {{u"discovery_renew_interval_seconds"_s, {}, 0.1},
                {u"discovery_evict_threshold_seconds"_s, {}, 0.5},
                {u"discovery_evict_interval_seconds"_s, {}, 0.2},
                {u"discovery_self_protection"_s, {}, 1},
                {u"discovery_next_eviction_pass_timestamp_seconds"_s, {}, 1'800'000'000.5}};
    send(store, {s});
    QCOMPARE(model.timing().renewIntervalMs, 100);
    QCOMPARE(model.timing().evictThresholdMs, 500);
    QCOMPARE(model.timing().evictIntervalMs, 200);
    QVERIFY(model.timing().selfProtection);
    QCOMPARE(model.timing().nextEvictionPassMs, 1'800'000'000'500);
}

void TestInstanceModel::proxyFilters() {
    Store store;
    InstanceModel model(&store);
    model.setTickInterval(0);
    qint64 now = kNowMs;
    model.setNowFunction([&now] { return now; });
    InstanceFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    send(store, {UpsertEvent{inst(u"pay.api"_s, u"p1"_s, u"z1"_s, 1, 0)},
                 UpsertEvent{inst(u"pay.api"_s, u"p2"_s, u"z2"_s, 2, 0)},
                 UpsertEvent{inst(u"pay.api"_s, u"p3"_s, u"z1"_s, 1, 100'000)},
                 UpsertEvent{inst(u"user.api"_s, u"u1"_s, u"z2"_s, 1, 0)}});
    QCOMPARE(countLeaves(proxy), 4);
    proxy.setAppIdFilter(u"PAY"_s);
    QCOMPARE(proxy.rowCount(), 1);
    QCOMPARE(countLeaves(proxy), 3);
    proxy.setZoneFilter(u"z1"_s);
    QCOMPARE(countLeaves(proxy), 2);
    proxy.setStatusFilter(2);
    QCOMPARE(countLeaves(proxy), 0);
    QCOMPARE(proxy.rowCount(), 0);
    proxy.setStatusFilter(0);
    proxy.setZoneFilter(QString());
    proxy.setAppIdFilter(QString());
    proxy.setStaleOnly(true);
    QCOMPARE(countLeaves(proxy), 1); // p3
    // Time alone turns nothing stale: the next answer from the server does. A minute
    // without one, our data is too old to judge: p3 is "unknown" now, not STALE.
    now += 61'000;
    model.tick();
    QCOMPARE(countLeaves(proxy), 0);
    EventBatch later;
    later.push_back(UpsertEvent{inst(u"pay.api"_s, u"p1"_s, u"z1"_s, 1, 61'000)});
    later.push_back(UpsertEvent{inst(u"pay.api"_s, u"p2"_s, u"z2"_s, 2, 61'000)});
    later.push_back(UpsertEvent{inst(u"user.api"_s, u"u1"_s, u"z2"_s, 1, 61'000)});
    send(store, std::move(later));
    QCOMPARE(countLeaves(proxy), 4);
    proxy.setStaleOnly(false);
    proxy.setZoneFilter(u"z2"_s);
    QCOMPARE(proxy.rowCount(), 2);
    QCOMPARE(countLeaves(proxy), 2);
}

void TestInstanceModel::timelineIsBoundedPerCategory() {
    Store store;
    InstanceTimelineModel registers(&store, u"instance-register"_s, 1000);
    InstanceTimelineModel evictions(&store, u"instance-evict"_s, 1000);
    QAbstractItemModelTester t1(&registers, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester t2(&evictions, QAbstractItemModelTester::FailureReportingMode::QtTest);
    EventBatch batch;
    for (int i = 0; i < 700; ++i)
        batch.push_back(TimelineEvent{i, u"instance-register"_s, u"r%1"_s.arg(i), {}});
    batch.push_back(TimelineEvent{1, u"instance-evict"_s, u"e0"_s, {}});
    send(store, std::move(batch));
    QCOMPARE(registers.rowCount(), 700);
    QCOMPARE(evictions.rowCount(), 1);
    EventBatch more;
    for (int i = 700; i < 1500; ++i)
        more.push_back(TimelineEvent{i, u"instance-register"_s, u"r%1"_s.arg(i), {}});
    send(store, std::move(more));
    QCOMPARE(registers.rowCount(), 1000);
    // Newest first; the oldest 500 are gone.
    QCOMPARE(registers.index(0, InstanceTimelineModel::SubjectColumn).data().toString(),
             u"r1499"_s);
    QCOMPARE(registers.index(999, InstanceTimelineModel::SubjectColumn).data().toString(),
             u"r500"_s);
    QCOMPARE(evictions.rowCount(), 1); // bounded per category, not shared
}

void TestInstanceModel::protectionStatus() {
    MetricsSample s;
    s.points = {{u"discovery_self_protection"_s, {}, 1},
                {u"discovery_renews_last_window"_s, {}, 14},
                {u"discovery_renew_threshold"_s, {}, 17},
                {u"discovery_instances"_s, {}, 10},
                {u"discovery_instances_expired"_s, {}, 3}};
    const auto st = ProtectionStatus::fromSample(s);
    QVERIFY(st.has_value());
    QVERIFY(st->on);
    QCOMPARE(st->wouldEvictIfLifted(), 2); // 3 expired, but at most 10 - floor(8.5) per pass
    QVERIFY(!ProtectionStatus::fromSample(MetricsSample{}).has_value());
}

QTEST_MAIN(TestInstanceModel)
#include "tst_instance_model.moc"
