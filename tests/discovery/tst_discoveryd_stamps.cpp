// The discovery core (the server's registry) under a ManualClock: client timestamps out of
// range are refused naming the parameter, an app's latest_timestamp stays strictly
// increasing whatever clients send, and the generation that lets identical replies be
// shared moves on every change a reply can show.

#include "models/discovery/DiscoveryRegistry.h"

#include <QTest>

#include <chrono>
#include <limits>
#include <string>

using namespace regscope::discovery;
using namespace std::chrono_literals;

namespace {

RegisterArgs reg(const std::string& appid, const std::string& host) {
    RegisterArgs a;
    a.instance.zone = "z1";
    a.instance.env = "prod";
    a.instance.appid = appid;
    a.instance.hostname = host;
    a.instance.addrs = {"http://127.0.0.1:8000"};
    return a;
}

InstanceKey key(const std::string& appid, const std::string& host) {
    return InstanceKey{"z1", "prod", appid, host};
}

DiscoveryConfig cfg() {
    DiscoveryConfig c;
    c.seed = 42;
    return c;
}

} // namespace

class TestDiscoverydStamps : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void timestampsAreRangeChecked_data();
    void timestampsAreRangeChecked();
    void timestampsStayStrictlyIncreasing();
    void generationMovesOnEveryVisibleChange();
};

void TestDiscoverydStamps::timestampsAreRangeChecked_data() {
    QTest::addColumn<QString>("op");
    QTest::addColumn<QString>("param");
    QTest::addColumn<qint64>("offset"); // from now; or an absolute value when `absolute`
    QTest::addColumn<bool>("absolute");
    const qint64 max = std::numeric_limits<qint64>::max();
    for (const char* op : {"register", "cancel", "renew"}) {
        const QString o = QString::fromLatin1(op);
        const QString p = o == u"renew"_qs ? u"dirty_timestamp"_qs : u"latest_timestamp"_qs;
        QTest::addRow("%s INT64_MAX", op) << o << p << max << true;
        QTest::addRow("%s negative", op) << o << p << qint64(-1) << true;
        QTest::addRow("%s INT64_MIN", op) << o << p << std::numeric_limits<qint64>::min() << true;
        QTest::addRow("%s 2h ahead", op) << o << p << qint64(7'200'000'000'000) << false;
    }
    QTest::addRow("register dirty INT64_MAX")
        << u"register"_qs << u"dirty_timestamp"_qs << max << true;
    QTest::addRow("register dirty negative")
        << u"register"_qs << u"dirty_timestamp"_qs << qint64(-5) << true;
}

void TestDiscoverydStamps::timestampsAreRangeChecked() {
    QFETCH(QString, op);
    QFETCH(QString, param);
    QFETCH(qint64, offset);
    QFETCH(bool, absolute);
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    const auto before = r.fetch("prod", "app", "", 3).value();
    const std::int64_t stamp = absolute ? offset : clock.nowNs() + offset;
    std::expected<void, Error> result;
    if (op == u"register"_qs) {
        auto a = reg("app", "h2");
        (param == u"latest_timestamp"_qs ? a.latestTimestamp : a.dirtyTimestamp) = stamp;
        result = r.registerInstance(a);
    } else if (op == u"cancel"_qs) {
        result = r.cancel(key("app", "h1"), stamp);
    } else {
        auto renewed = r.renew(key("app", "h1"), true, stamp);
        result = renewed ? std::expected<void, Error>() : std::unexpected(renewed.error());
    }
    QVERIFY(!result.has_value());
    QCOMPARE(result.error().code, Code::BadRequest);
    QVERIFY2(QString::fromStdString(result.error().message).contains(param),
             result.error().message.c_str()); // names the parameter
    // Refused before anything changed.
    const auto after = r.fetch("prod", "app", "", 3).value();
    QCOMPARE(after.latestTimestamp, before.latestTimestamp);
    QCOMPARE(after.instances.at("z1").size(), 1u);
}

void TestDiscoverydStamps::timestampsStayStrictlyIncreasing() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    std::int64_t last = 0;
    const auto check = [&] {
        const auto now = r.fetch("prod", "app", "", 3)->latestTimestamp;
        QVERIFY2(now > last, (std::to_string(now) + " after " + std::to_string(last)).c_str());
        last = now;
    };
    // The largest stamp allowed (1 h ahead), then stamps from the past and zeros: the
    // app's stamp never goes back, however clients stamp their changes.
    auto a = reg("app", "h1");
    a.latestTimestamp = clock.nowNs() + kMaxStampAheadNs;
    QVERIFY(r.registerInstance(a).has_value());
    check();
    QCOMPARE(last, clock.nowNs() + kMaxStampAheadNs);
    for (int i = 0; i < 5; ++i) {
        auto b = reg("app", "h" + std::to_string(i + 2));
        b.latestTimestamp = i % 2 ? 1 : 0;
        QVERIFY(r.registerInstance(b).has_value());
        check();
        QVERIFY(r.cancel(key("app", "h" + std::to_string(i + 2)), 1).has_value());
        QVERIFY(r.registerInstance(reg("app", "keep" + std::to_string(i))).has_value());
        check();
    }
    QVERIFY(r.set(SetArgs{"z1", "prod", "app", {"h1"}, {2}, {}}).has_value());
    check();
    // An hour later the clock catches up; the stamp still moves forward on each change.
    clock.advance(2h);
    QVERIFY(r.registerInstance(reg("app", "late")).has_value());
    check();
    QCOMPARE(last, clock.nowNs());
}

void TestDiscoverydStamps::generationMovesOnEveryVisibleChange() {
    ManualClock clock;
    DiscoveryConfig c = cfg();
    c.percentThreshold = 0.0;
    DiscoveryRegistry r(c, clock);
    auto g = r.generation();
    const auto moved = [&] {
        const auto now = r.generation();
        const bool m = now != g;
        g = now;
        return m;
    };
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    QVERIFY(moved());
    QVERIFY(r.fetch("prod", "app", "", 3).has_value());
    std::string out;
    r.appendFetchAllJson(out);
    QVERIFY(!moved()); // reads change nothing
    QVERIFY(r.renew(key("app", "h1")).has_value());
    QVERIFY(moved()); // renew_timestamp is in fetch/all
    QVERIFY(r.set(SetArgs{"z1", "prod", "app", {"h1"}, {2}, {}}).has_value());
    QVERIFY(moved());
    QVERIFY(!r.renew(key("app", "nope")).has_value());
    QVERIFY(!moved());
    clock.advance(200s);
    r.tick();
    QCOMPARE(r.stats().evictions, 1u);
    QVERIFY(moved());
}

QTEST_GUILESS_MAIN(TestDiscoverydStamps)
#include "tst_discoveryd_stamps.moc"
