// The discovery connector's judgement of what a server said (InstanceState, ServerFacts):
// stale from the server's clock at the answer, restarts told apart from evictions, and an
// eviction only when the server's counter moved. Plain values, no server: the integration
// tests (tst_instances_stale, tst_instances_restart) run the same code against the real one.

#include "connectors/discovery/InstanceState.h"
#include "connectors/discovery/ServerFacts.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::discoveryconn;

namespace {

constexpr qint64 kNowMs = 1'800'000'000'000;

InstanceRecord inst(const QString& host, qint64 renewAgoMs, qint64 serverNowMs = kNowMs) {
    InstanceRecord r;
    r.appid = u"pay"_s;
    r.hostname = host;
    r.zone = u"z1"_s;
    r.env = u"prod"_s;
    r.status = 1;
    r.renewTimestampNs = (serverNowMs - renewAgoMs) * 1'000'000;
    r.source = u"discovery"_s;
    return r;
}

template <class T>
std::vector<const T*> all(const EventBatch& batch) {
    std::vector<const T*> out;
    for (const auto& e : batch)
        if (const auto* t = std::get_if<T>(&e))
            out.push_back(t);
    return out;
}

QStringList categories(const EventBatch& batch) {
    QStringList out;
    for (const auto* t : all<TimelineEvent>(batch))
        out << t->category;
    return out;
}

} // namespace

class TestInstancesState : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void staleIsJudgedOnTheServersClock();
    void unchangedButOlderIsNotReemitted();
    void restartIsNotEvictions();
    void evictionOnlyWhenTheCounterMoved();
    void withoutCountersRenewAgeDecides();
    void serverIdentity();
};

void TestInstancesState::staleIsJudgedOnTheServersClock() {
    InstanceState state;
    // Our clock is 7 s ahead of the server's: by our clock every renew looks 7 s older.
    const Observation obs{kNowMs + 7'000, kNowMs, 2'000};
    EventBatch out;
    state.replaceAll({inst(u"fresh"_s, 1'500), inst(u"late"_s, 4'500)}, obs, {}, out);
    const auto snaps = all<SnapshotEvent>(out);
    QCOMPARE(snaps.size(), size_t(1));
    QHash<QString, InstanceRecord> byHost;
    for (const auto& rec : snaps[0]->records) {
        const auto& r = std::get<InstanceRecord>(rec);
        byHost.insert(r.hostname, r);
    }
    QCOMPARE(byHost[u"fresh"_s].staleness, Staleness::Fresh);
    QCOMPARE(byHost[u"fresh"_s].renewAgeMs, 1'500);
    QCOMPARE(byHost[u"fresh"_s].observedAtMs, kNowMs + 7'000);
    QCOMPARE(byHost[u"late"_s].staleness, Staleness::Stale); // 4.5 s > 2 x 2 s
    InstanceRecord etcdLike = inst(u"x"_s, 0);
    etcdLike.renewTimestampNs = 0;
    InstanceState::judge(etcdLike, obs);
    QCOMPARE(etcdLike.staleness, Staleness::Unknown);
    QCOMPARE(etcdLike.renewAgeMs, -1);
}

void TestInstancesState::unchangedButOlderIsNotReemitted() {
    InstanceState state;
    EventBatch out;
    const InstanceRecord r = inst(u"h"_s, 500);
    state.replaceAll({r}, {kNowMs, kNowMs, 2'000}, {}, out);
    out.clear();
    // One second later, no renew: same record, older. Nothing new to say.
    InstanceRecord same = r;
    state.replaceAll({same}, {kNowMs + 1'000, kNowMs + 1'000, 2'000}, {}, out);
    QVERIFY(out.empty());
    // Four seconds later it crosses 2 x 2 s: the verdict moved, it is said.
    state.replaceAll({same}, {kNowMs + 4'000, kNowMs + 4'000, 2'000}, {}, out);
    const auto ups = all<UpsertEvent>(out);
    QCOMPARE(ups.size(), size_t(1));
    QCOMPARE(std::get<InstanceRecord>(ups[0]->record).staleness, Staleness::Stale);
}

void TestInstancesState::restartIsNotEvictions() {
    InstanceState state;
    state.setEvictThresholdNs(1'000'000'000);
    EventBatch out;
    std::vector<InstanceRecord> before;
    for (int i = 0; i < 16; ++i)
        before.push_back(inst(u"h%1"_s.arg(i), i < 14 ? 30'000 : 100)); // 14 long dead
    state.replaceAll(before, {kNowMs, kNowMs, 2'000}, {}, out);
    out.clear();
    Removals restarted;
    restarted.serverRestarted = true;
    restarted.evictionsCounted = 0;
    state.replaceAll({inst(u"h14"_s, 100), inst(u"h15"_s, 100)}, {kNowMs, kNowMs, 2'000}, restarted,
                     out);
    QCOMPARE(all<RemoveEvent>(out).size(), size_t(14));
    QVERIFY(!categories(out).contains(u"instance-evict"_s));
    QVERIFY(!categories(out).contains(u"instance-cancel"_s));
    const auto lines = all<TimelineEvent>(out);
    QCOMPARE(lines.size(), size_t(1));
    QCOMPARE(lines[0]->category, u"server-restart"_s);
    QCOMPARE(lines[0]->text, u"server restarted: 14 instances no longer known"_s);
}

void TestInstancesState::evictionOnlyWhenTheCounterMoved() {
    InstanceState state;
    state.setEvictThresholdNs(6'000'000'000);
    EventBatch out;
    state.replaceAll({inst(u"a"_s, 9'000), inst(u"b"_s, 8'000), inst(u"c"_s, 100)},
                     {kNowMs, kNowMs, 2'000}, {}, out);
    out.clear();
    // All three gone; the server counted one eviction: the oldest is it, the rest cancels.
    Removals one;
    one.evictionsCounted = 1;
    const qint64 evicted = state.replaceAll({}, {kNowMs, kNowMs, 2'000}, one, out);
    QCOMPARE(evicted, 1);
    QCOMPARE(categories(out).count(u"instance-evict"_s), 1);
    QCOMPARE(categories(out).count(u"instance-cancel"_s), 2);
    for (const auto* t : all<TimelineEvent>(out))
        if (t->category == u"instance-evict"_s)
            QCOMPARE(t->subject, u"pay/z1/prod/a"_s);
    // Counter did not move: an old instance that went was cancelled, not evicted.
    state.replaceAll({inst(u"d"_s, 9'000)}, {kNowMs, kNowMs, 2'000}, {}, out);
    out.clear();
    Removals none;
    none.evictionsCounted = 0;
    QCOMPARE(state.replaceAll({}, {kNowMs, kNowMs, 2'000}, none, out), 0);
    QCOMPARE(categories(out), QStringList{u"instance-cancel"_s});
}

void TestInstancesState::withoutCountersRenewAgeDecides() {
    InstanceState state;
    state.setEvictThresholdNs(6'000'000'000);
    EventBatch out;
    state.replaceAll({inst(u"a"_s, 9'000), inst(u"c"_s, 100)}, {kNowMs, kNowMs, 2'000}, {}, out);
    out.clear();
    state.replaceAll({}, {kNowMs, kNowMs, 2'000}, Removals{}, out);
    QCOMPARE(categories(out).count(u"instance-evict"_s), 1);
    QCOMPARE(categories(out).count(u"instance-cancel"_s), 1);
}

void TestInstancesState::serverIdentity() {
    const auto facts = [](const QString& id, double start, double uptime) {
        std::vector<MetricPoint> points;
        if (!id.isEmpty())
            points.push_back({u"discovery_server_info"_s,
                              {{u"instance_id"_s, id}, {u"version"_s, u"0.1.0"_s}},
                              1});
        if (start > 0)
            points.push_back({u"discovery_server_start_time_seconds"_s, {}, start});
        points.push_back({u"discovery_uptime_seconds"_s, {}, uptime});
        points.push_back({u"discovery_evictions_total"_s, {}, 7});
        points.push_back({u"discovery_renew_interval_seconds"_s, {}, 2});
        return ServerFacts::fromPoints(points);
    };
    const ServerFacts f = facts(u"abc"_s, 100, 5);
    QCOMPARE(f.identity, u"abc"_s);
    QCOMPARE(f.evictionsTotal.value_or(-1), 7);
    QCOMPARE(f.renewIntervalMs.value_or(-1), 2'000);
    ServerIdentity byId;
    QVERIFY(!byId.restarted(f));
    QVERIFY(!byId.restarted(facts(u"abc"_s, 100, 9)));
    QVERIFY(byId.restarted(facts(u"def"_s, 200, 100))); // another process, even if uptime grew
    QVERIFY(!byId.restarted(facts(u"def"_s, 200, 101)));
    ServerIdentity byStart;
    QVERIFY(!byStart.restarted(facts({}, 100, 5)));
    QVERIFY(byStart.restarted(facts({}, 150, 50)));
    ServerIdentity byUptime; // an older server: only its uptime going back tells
    QVERIFY(!byUptime.restarted(facts({}, 0, 50)));
    QVERIFY(!byUptime.restarted(facts({}, 0, 52)));
    QVERIFY(byUptime.restarted(facts({}, 0, 1)));
}

QTEST_GUILESS_MAIN(TestInstancesState)
#include "tst_instances_state.moc"
