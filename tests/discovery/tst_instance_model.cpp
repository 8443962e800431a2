// InstanceModel, its filter proxy and the instances timeline, under QAbstractItemModelTester,
// fed through the real Store; time comes from a fake clock.

#include "models/Store.h"
#include "models/instances/InstanceFilterProxy.h"
#include "models/instances/InstanceModel.h"
#include "models/instances/InstanceTimelineModel.h"
#include "models/instances/ProtectionStatus.h"

#include <QAbstractItemModelTester>
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
    return r;
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
    QVERIFY(old.data(InstanceModel::StaleRole).toBool()); // 70 s > 2 x 30 s
    QVERIFY(app.data(InstanceModel::StaleRole).toBool());
    QCOMPARE(model.staleCount(), 1);
    QCOMPARE(old.siblingAtColumn(InstanceModel::StaleColumn).data().toString(), u"STALE"_s);
    // old: renewed at now-70 s, eligible at now+20 s; passes at now+10, +70: goes at +70 s.
    QCOMPARE(old.data(InstanceModel::ProjectedEvictionMsRole).toLongLong(), kNowMs + 70'000);
    // fresh: eligible at now+85 s → pass at now+130 s.
    QCOMPARE(fresh.data(InstanceModel::ProjectedEvictionMsRole).toLongLong(), kNowMs + 130'000);

    // Ages tick: dataChanged, no structure change; fresh turns stale after 60 s.
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    now += 56'000;
    model.tick();
    QVERIFY(changes.size() >= 2);
    QVERIFY(fresh.data(InstanceModel::StaleRole).toBool());
    QCOMPARE(fresh.data(InstanceModel::RenewAgeMsRole).toLongLong(), 61'000);

    // Self-protection holds them until the ceiling.
    t.selfProtection = true;
    t.evictCeilingMs = 3'600'000;
    model.setTiming(t);
    QVERIFY(old.data(InstanceModel::ProjectedEvictionMsRole).toLongLong() > kNowMs + 3'500'000);
}

// An instance from etcd's service layout has no renew time: its lease keeps it alive.
void TestInstanceModel::leaseHeldInstancesAreNeverStale() {
    Store store;
    InstanceModel model(&store);
    model.setTickInterval(0);
    model.setNowFunction([] { return kNowMs; });
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    InstanceRecord etcd = inst(u"billing"_s, u"host-1"_s);
    etcd.regTimestampNs = 0;
    etcd.renewTimestampNs = 0;
    etcd.source = u"etcd"_s;
    send(store,
         {UpsertEvent{etcd}, UpsertEvent{inst(u"billing"_s, u"host-2"_s, u"z1"_s, 1, 600'000)}});
    const QModelIndex app = appRow(model, u"billing"_s);
    QCOMPARE(model.rowCount(app), 2);
    QCOMPARE(model.staleCount(), 1); // only the discovery instance that stopped renewing
    for (int i = 0; i < model.rowCount(app); ++i) {
        const QModelIndex row = model.index(i, 0, app);
        if (row.data().toString() != u"host-1"_s)
            continue;
        QVERIFY(!row.data(InstanceModel::StaleRole).toBool());
        QCOMPARE(row.siblingAtColumn(InstanceModel::RenewAgeColumn).data().toString(), u"lease"_s);
        QCOMPARE(row.siblingAtColumn(InstanceModel::RegisteredColumn).data().toString(), u"—"_s);
    }
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
    // Time passes: everything not renewed turns stale and shows up.
    now += 61'000;
    model.tick();
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
