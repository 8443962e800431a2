// The discovery core under a ManualClock: leases, eviction timing and cap, self-protection
// at its threshold, long-poll wake-up and -304, quotas.

#include "models/discovery/DiscoveryRegistry.h"
#include "models/discovery/JsonWriter.h"
#include "models/discovery/WireJson.h"

#include <QTest>

#include <chrono>
#include <limits>
#include <optional>

using namespace regscope::discovery;
using namespace std::chrono_literals;

namespace {

RegisterArgs reg(const std::string& appid, const std::string& host, const std::string& zone = "z1",
                 int status = StatusUp) {
    RegisterArgs a;
    a.instance.zone = zone;
    a.instance.env = "prod";
    a.instance.appid = appid;
    a.instance.hostname = host;
    a.instance.addrs = {"http://127.0.0.1:8000"};
    a.instance.status = status;
    return a;
}

InstanceKey key(const std::string& appid, const std::string& host, const std::string& zone = "z1") {
    return InstanceKey{zone, "prod", appid, host};
}

DiscoveryConfig cfg() {
    DiscoveryConfig c;
    c.seed = 42;
    return c;
}

// Collects what a poll callback was answered with.
struct PollSink {
    std::optional<PollAnswer> answer;
    PollCallback callback() {
        return [this](PollAnswer a) { answer = std::move(a); };
    }
};

} // namespace

class TestDiscoveryCore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void registerFetchRenewCancel();
    void registerValidatesAndKeepsState();
    void fetchFiltersStatusAndZone();
    void setIsAllOrNothing();
    void renewReplicationConflict();
    void evictionWaitsForThreshold();
    void evictionIsCappedPerPass();
    void selfProtectionAtThreshold();
    void selfProtectionStillEvictsPastCeiling();
    void expectedRenewsRecomputed();
    void pollAnswersAtOnceWhenNewer();
    void pollParksAndWakesOnChange();
    void pollTimesOutWithNotModified();
    void pollErrors();
    void pollWakesOnEviction();
    void quotas();
    void jsonWriterMatchesTree();
    void timestampsAreRangeChecked_data();
    void timestampsAreRangeChecked();
    void timestampsStayStrictlyIncreasing();
    void generationMovesOnEveryVisibleChange();
};

void TestDiscoveryCore::registerFetchRenewCancel() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    auto info = r.fetch("prod", "app", "", 3);
    QVERIFY(info.has_value());
    QCOMPARE(info->instances.at("z1").size(), 1u);
    const auto& inst = info->instances.at("z1").front();
    QCOMPARE(inst.regTimestamp, clock.nowNs());
    QCOMPARE(inst.renewTimestamp, clock.nowNs());

    clock.advance(10s);
    auto renewed = r.renew(key("app", "h1"));
    QVERIFY(renewed.has_value());
    QCOMPARE(renewed->renewTimestamp, clock.nowNs());
    QCOMPARE(r.renew(key("app", "nope")).error().code, Code::NotFound);
    QCOMPARE(r.renew(key("other", "h1")).error().code, Code::NotFound);

    const auto before = r.fetch("prod", "app", "", 3)->latestTimestamp;
    QVERIFY(r.cancel(key("app", "h1")).has_value());
    QCOMPARE(r.cancel(key("app", "h1")).error().code, Code::NotFound);
    // Its last instance gone, fetch answers -404 as the reference server does...
    QCOMPARE(r.fetch("prod", "app", "", 3).error().code, Code::NotFound);
    QVERIFY(r.fetchs("prod", {"app"}, "", 3).empty());
    // ...but the app is still tracked: a poller holding the old stamp sees the removal.
    PollSink sink;
    QVERIFY(!r.poll(PollArgs{"prod", "", "me", {"app"}, {before}}, sink.callback()));
    QVERIFY(sink.answer.has_value() && sink.answer->has_value());
    QVERIFY(sink.answer->value().at("app").latestTimestamp > before);
    QVERIFY(sink.answer->value().at("app").instances.empty());
    QVERIFY(r.fetchAll().empty());
    std::string all;
    r.appendFetchAllJson(all);
    QCOMPARE(all, std::string("{}"));
    QCOMPARE(r.fetch("prod", "missing", "", 3).error().code, Code::NotFound);
    const auto s = r.stats();
    QCOMPARE(s.registers, 1u);
    QCOMPARE(s.renews, 1u);
    QCOMPARE(s.cancels, 1u);
}

void TestDiscoveryCore::registerValidatesAndKeepsState() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    auto bad = reg("app", "h1");
    bad.instance.status = 3;
    QCOMPARE(r.registerInstance(bad).error().code, Code::BadRequest);
    bad = reg("app", "h1");
    bad.instance.addrs.clear();
    QCOMPARE(r.registerInstance(bad).error().code, Code::BadRequest);
    QCOMPARE(r.fetch("prod", "app", "", 3)->instances.at("z1").front().status, int(StatusUp));
    QCOMPARE(r.stats().instances, 1u);

    // A re-register with an older dirty timestamp (a late replica) does not overwrite.
    auto late = reg("app", "h1");
    late.instance.version = "old";
    late.dirtyTimestamp = 1;
    QVERIFY(r.registerInstance(late).has_value());
    QCOMPARE(r.fetch("prod", "app", "", 3)->instances.at("z1").front().version, std::string());
    QCOMPARE(r.stats().instances, 1u);
}

void TestDiscoveryCore::fetchFiltersStatusAndZone() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    QVERIFY(r.registerInstance(reg("app", "up1", "z1", StatusUp)).has_value());
    QVERIFY(r.registerInstance(reg("app", "wait1", "z1", StatusWaiting)).has_value());
    QVERIFY(r.registerInstance(reg("app", "up2", "z2", StatusUp)).has_value());
    QCOMPARE(r.fetch("prod", "app", "", 1)->instances.at("z1").size(), 1u);
    QCOMPARE(r.fetch("prod", "app", "", 2)->instances.at("z1").size(), 1u);
    QCOMPARE(r.fetch("prod", "app", "", 3)->instances.at("z1").size(), 2u);
    const auto z2 = r.fetch("prod", "app", "z2", 3);
    QCOMPARE(z2->instances.size(), 1u);
    QVERIFY(z2->instances.contains("z2"));
    QCOMPARE(r.fetch("prod", "app", "z9", 3).error().code, Code::NotFound);
    QCOMPARE(r.fetch("test", "app", "", 3).error().code, Code::NotFound);
    QVERIFY(r.registerInstance(reg("b", "h", "z1")).has_value());
    const auto many = r.fetchs("prod", {"app", "b", "zzz"}, "", 3);
    QCOMPARE(many.size(), 2u);
    QCOMPARE(r.fetchAll().at("app").size(), 3u);
}

void TestDiscoveryCore::setIsAllOrNothing() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    QVERIFY(r.registerInstance(reg("app", "h2")).has_value());
    SetArgs s{"z1", "prod", "app", {"h1", "nope"}, {2, 2}, {}};
    QCOMPARE(r.set(s).error().code, Code::NotFound);
    QCOMPARE(r.fetch("prod", "app", "", 2).value().instances.at("z1").size(), 0u);
    s = SetArgs{"z1", "prod", "app", {"h1", "h2"}, {2}, {}};
    QCOMPARE(r.set(s).error().code, Code::BadRequest);
    s = SetArgs{"z1", "prod", "app", {"h1"}, {7}, {}};
    QCOMPARE(r.set(s).error().code, Code::BadRequest);
    clock.advance(1s);
    s = SetArgs{"z1", "prod", "app", {"h1"}, {2}, {{{"weight", "10"}}}};
    QVERIFY(r.set(s).has_value());
    const auto waiting = r.fetch("prod", "app", "", 2).value().instances.at("z1");
    QCOMPARE(waiting.size(), 1u);
    QCOMPARE(waiting.front().hostname, std::string("h1"));
    QCOMPARE(waiting.front().metadata.at("weight"), std::string("10"));
    QCOMPARE(waiting.front().dirtyTimestamp, clock.nowNs());
}

void TestDiscoveryCore::renewReplicationConflict() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    const auto dirty = r.fetch("prod", "app", "", 3)->instances.at("z1").front().dirtyTimestamp;
    QVERIFY(r.renew(key("app", "h1"), true, dirty).has_value());
    QCOMPARE(r.renew(key("app", "h1"), true, dirty + 1).error().code, Code::NotFound);
    QCOMPARE(r.renew(key("app", "h1"), true, dirty - 1).error().code, Code::Conflict);
}

void TestDiscoveryCore::evictionWaitsForThreshold() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    // Protection off: with 1 instance expected 2 renews, threshold floor(1.7) = 1; keep the
    // window count at threshold by renewing "h1"... but h1 must expire, so use a helper
    // instance that renews and keeps the registry out of protection.
    for (int i = 0; i < 20; ++i)
        QVERIFY(r.registerInstance(reg("app", "keep" + std::to_string(i))).has_value());
    auto renewKeepers = [&] {
        for (int i = 0; i < 20; ++i)
            QVERIFY(r.renew(key("app", "keep" + std::to_string(i))).has_value());
    };
    // t = 30, 59: two renews per keeper in the first window (40 ≥ threshold floor(42·.85)=35).
    clock.advance(30s);
    renewKeepers();
    clock.advance(29s);
    renewKeepers();
    clock.advance(1s); // t = 60: the first pass; h1 is 60 s old (< 90)
    r.tick();
    QCOMPARE(r.stats().evictionPasses, 1u);
    QVERIFY(!r.stats().selfProtection);
    QCOMPARE(r.stats().instances, 21u);
    clock.advance(30s);
    renewKeepers();
    clock.advance(29s);
    renewKeepers();
    clock.advance(1s); // t = 120: h1 is 120 s old (> 90): gone; the keepers stay
    r.tick();
    QCOMPARE(r.stats().evictionPasses, 2u);
    QCOMPARE(r.stats().evictions, 1u);
    QCOMPARE(r.stats().instances, 20u);
    QCOMPARE(r.renew(key("app", "h1")).error().code, Code::NotFound);
}

void TestDiscoveryCore::evictionIsCappedPerPass() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    for (int i = 0; i < 100; ++i)
        QVERIFY(r.registerInstance(reg("app" + std::to_string(i % 7), "h" + std::to_string(i)))
                    .has_value());
    // 80 live instances renew 3x per window (240 ≥ threshold 170); 20 never renew.
    auto renewLive = [&] {
        for (int i = 20; i < 100; ++i)
            QVERIFY(
                r.renew(key("app" + std::to_string(i % 7), "h" + std::to_string(i))).has_value());
    };
    for (int pass = 0; pass < 2; ++pass) {
        for (int k = 0; k < 3; ++k) {
            clock.advance(19s);
            renewLive();
        }
        clock.advance(3s);
        r.tick();
    }
    // t = 120: 20 expired, but at most 100 - floor(85) = 15 go in one pass.
    auto s = r.stats();
    QVERIFY(!s.selfProtection);
    QCOMPARE(s.evictions, 15u);
    QCOMPARE(s.instances, 85u);
    for (int k = 0; k < 3; ++k) {
        clock.advance(19s);
        renewLive();
    }
    clock.advance(3s);
    r.tick();
    s = r.stats();
    QCOMPARE(s.evictions, 20u); // the remaining 5 (cap now 85 - 72 = 13)
    QCOMPARE(s.instances, 80u);
    for (int i = 20; i < 100; ++i)
        QVERIFY(r.renew(key("app" + std::to_string(i % 7), "h" + std::to_string(i))).has_value());
}

void TestDiscoveryCore::selfProtectionAtThreshold() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    for (int i = 0; i < 10; ++i)
        QVERIFY(r.registerInstance(reg("app", "h" + std::to_string(i))).has_value());
    auto s = r.stats();
    QCOMPARE(s.expectedRenewsPerWindow, 20);
    QCOMPARE(s.threshold, 17);
    QVERIFY(s.selfProtection); // nothing counted yet: 0 < 17
    // 17 renews in the window: exactly the threshold → off.
    clock.advance(10s);
    for (int i = 0; i < 17; ++i)
        QVERIFY(r.renew(key("app", "h" + std::to_string(i % 10))).has_value());
    clock.advance(50s);
    r.tick();
    s = r.stats();
    QCOMPARE(s.renewsLastWindow, 17);
    QVERIFY(!s.selfProtection);
    // 16 renews: one short → on.
    clock.advance(10s);
    for (int i = 0; i < 16; ++i)
        QVERIFY(r.renew(key("app", "h" + std::to_string(i % 10))).has_value());
    clock.advance(50s);
    r.tick();
    s = r.stats();
    QCOMPARE(s.renewsLastWindow, 16);
    QVERIFY(s.selfProtection);
    // A cancel lowers the expectation by 2: threshold floor(18 · .85) = 15 < 16 → off.
    QVERIFY(r.cancel(key("app", "h9")).has_value());
    QCOMPARE(r.stats().threshold, 15);
    QVERIFY(!r.stats().selfProtection);
}

void TestDiscoveryCore::selfProtectionStillEvictsPastCeiling() {
    ManualClock clock;
    DiscoveryConfig c = cfg();
    c.evictCeiling = 300s;
    DiscoveryRegistry r(c, clock);
    for (int i = 0; i < 10; ++i)
        QVERIFY(r.registerInstance(reg("app", "h" + std::to_string(i))).has_value());
    // Nobody renews: protection is on from the first pass; nothing goes until 300 s.
    for (int pass = 1; pass <= 5; ++pass) {
        clock.advance(60s);
        r.tick();
        QVERIFY(r.stats().selfProtection);
        QCOMPARE(r.stats().instances, 10u);
    }
    clock.advance(60s); // t = 360 > 300: the ceiling applies; the cap still holds (10-8 = 2)
    r.tick();
    QCOMPARE(r.stats().instances, 8u);
}

void TestDiscoveryCore::expectedRenewsRecomputed() {
    ManualClock clock;
    DiscoveryConfig c = cfg();
    c.evictCeiling = 120s;
    DiscoveryRegistry r(c, clock);
    for (int i = 0; i < 10; ++i)
        QVERIFY(r.registerInstance(reg("app", "h" + std::to_string(i))).has_value());
    // Evictions do not lower the expectation (only cancels do)...
    for (int pass = 0; pass < 3; ++pass) {
        clock.advance(60s);
        r.tick();
    }
    QCOMPARE(r.stats().instances, 8u);
    QCOMPARE(r.stats().expectedRenewsPerWindow, 20);
    // ...until the 15-minute recompute from the instance count.
    while (r.stats().expectedRenewsPerWindow == 20 &&
           clock.nowNs() < 1'700'000'000'000'000'000 + std::int64_t(16 * 60) * 1'000'000'000) {
        clock.advance(60s);
        r.tick();
    }
    const auto s = r.stats();
    QCOMPARE(s.expectedRenewsPerWindow, std::int64_t(s.instances) * 2);
}

void TestDiscoveryCore::pollAnswersAtOnceWhenNewer() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    PollSink sink;
    const auto id = r.poll(PollArgs{"prod", "", "me", {"app"}, {0}}, sink.callback());
    QVERIFY(!id.has_value());
    QVERIFY(sink.answer.has_value());
    QVERIFY(sink.answer->has_value());
    QCOMPARE(sink.answer->value().at("app").instances.at("z1").size(), 1u);
}

void TestDiscoveryCore::pollParksAndWakesOnChange() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    QVERIFY(r.registerInstance(reg("other", "h1")).has_value());
    const auto latest = r.fetch("prod", "app", "", 3)->latestTimestamp;
    const auto latestOther = r.fetch("prod", "other", "", 3)->latestTimestamp;
    PollSink single, multi;
    QVERIFY(r.poll(PollArgs{"prod", "", "me", {"app"}, {latest}}, single.callback()));
    QVERIFY(r.poll(PollArgs{"prod", "", "me", {"app", "other"}, {latest, latestOther}},
                   multi.callback()));
    QCOMPARE(r.stats().parkedPolls, 2u);
    // A renew is not a change; a change of another app does not wake "app" pollers.
    QVERIFY(r.renew(key("app", "h1")).has_value());
    QVERIFY(!single.answer.has_value());
    QVERIFY(r.registerInstance(reg("third", "h1")).has_value());
    QVERIFY(!single.answer.has_value());
    QVERIFY(!multi.answer.has_value());
    clock.advance(1s);
    QVERIFY(r.registerInstance(reg("other", "h2")).has_value());
    QVERIFY(!single.answer.has_value());
    QVERIFY(multi.answer.has_value());
    QCOMPARE(multi.answer->value().size(), 1u);
    QCOMPARE(multi.answer->value().at("other").instances.at("z1").size(), 2u);
    QVERIFY(multi.answer->value().at("other").latestTimestamp > latestOther);
    QVERIFY(r.cancel(key("app", "h1")).has_value());
    QVERIFY(single.answer.has_value());
    QVERIFY(single.answer->value().at("app").instances.empty());
    QCOMPARE(r.stats().parkedPolls, 0u);

    // cancelPoll forgets a parked poll without answering it.
    PollSink gone;
    const auto stamp = r.fetch("prod", "other", "", 3)->latestTimestamp;
    const auto id = r.poll(PollArgs{"prod", "", "me", {"other"}, {stamp}}, gone.callback());
    QVERIFY(id.has_value());
    QVERIFY(r.cancelPoll(*id));
    QVERIFY(r.registerInstance(reg("other", "h3")).has_value());
    QVERIFY(!gone.answer.has_value());
}

void TestDiscoveryCore::pollTimesOutWithNotModified() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    const auto latest = r.fetch("prod", "app", "", 3)->latestTimestamp;
    PollSink sink;
    QVERIFY(r.poll(PollArgs{"prod", "", "me", {"app"}, {latest}}, sink.callback()));
    clock.advance(29s);
    r.tick();
    QVERIFY(!sink.answer.has_value());
    clock.advance(1s);
    r.tick();
    QVERIFY(sink.answer.has_value());
    QCOMPARE(sink.answer->error().code, Code::NotModified);
    QCOMPARE(r.stats().parkedPolls, 0u);
}

void TestDiscoveryCore::pollErrors() {
    ManualClock clock;
    DiscoveryRegistry r(cfg(), clock);
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    PollSink unknown, mismatch, none;
    QVERIFY(!r.poll(PollArgs{"prod", "", "me", {"app", "nope"}, {0, 0}}, unknown.callback()));
    QCOMPARE(unknown.answer->error().code, Code::NotFound);
    QVERIFY(!r.poll(PollArgs{"prod", "", "me", {"app", "app"}, {0}}, mismatch.callback()));
    QCOMPARE(mismatch.answer->error().code, Code::BadRequest);
    QVERIFY(!r.poll(PollArgs{"prod", "", "me", {}, {}}, none.callback()));
    QCOMPARE(none.answer->error().code, Code::BadRequest);
}

void TestDiscoveryCore::pollWakesOnEviction() {
    ManualClock clock;
    DiscoveryConfig c = cfg();
    c.percentThreshold = 0.0; // no protection, no cap: the eviction alone is under test
    c.pollTimeout = 1000s;
    DiscoveryRegistry r(c, clock);
    QVERIFY(r.registerInstance(reg("app", "h1")).has_value());
    const auto latest = r.fetch("prod", "app", "", 3)->latestTimestamp;
    PollSink sink;
    QVERIFY(r.poll(PollArgs{"prod", "", "me", {"app"}, {latest}}, sink.callback()));
    clock.advance(60s); // first pass: h1 is 60 s old, stays
    r.tick();
    QCOMPARE(r.stats().evictionPasses, 1u);
    QVERIFY(!sink.answer.has_value());
    clock.advance(60s); // second pass: 120 s old, evicted; the parked poll is answered
    r.tick();
    QVERIFY(sink.answer.has_value());
    QVERIFY(sink.answer->has_value());
    QVERIFY(sink.answer->value().at("app").instances.empty());
    QVERIFY(sink.answer->value().at("app").latestTimestamp > latest);
    QCOMPARE(r.stats().evictions, 1u);
    QCOMPARE(r.fetch("prod", "app", "", 3).error().code, Code::NotFound); // evicted: -404
}

void TestDiscoveryCore::quotas() {
    ManualClock clock;
    DiscoveryConfig c = cfg();
    c.maxInstances = 5;
    c.maxInstancesPerApp = 3;
    c.maxApps = 2;
    c.maxParkedPolls = 1;
    DiscoveryRegistry r(c, clock);
    for (int i = 0; i < 3; ++i)
        QVERIFY(r.registerInstance(reg("a", "h" + std::to_string(i))).has_value());
    QCOMPARE(r.registerInstance(reg("a", "h9")).error().code, Code::Unavailable);
    QVERIFY(r.registerInstance(reg("a", "h0")).has_value()); // re-register is not growth
    QVERIFY(r.registerInstance(reg("b", "h0")).has_value());
    QCOMPARE(r.registerInstance(reg("c", "h0")).error().code, Code::Unavailable); // apps
    QVERIFY(r.registerInstance(reg("b", "h1")).has_value());
    QCOMPARE(r.registerInstance(reg("b", "h2")).error().code, Code::Unavailable); // total
    QCOMPARE(r.stats().instances, 5u);
    // An app with no instances left makes room for a new one.
    QVERIFY(r.cancel(key("b", "h0")).has_value());
    QVERIFY(r.cancel(key("b", "h1")).has_value());
    QVERIFY(r.registerInstance(reg("c", "h0")).has_value());
    QCOMPARE(r.fetch("prod", "b", "", 3).error().code, Code::NotFound);

    const auto latest = r.fetch("prod", "a", "", 3)->latestTimestamp;
    PollSink first, second;
    QVERIFY(r.poll(PollArgs{"prod", "", "me", {"a"}, {latest}}, first.callback()));
    QVERIFY(!r.poll(PollArgs{"prod", "", "me", {"a"}, {latest}}, second.callback()));
    QCOMPARE(second.answer->error().code, Code::Unavailable);
}

void TestDiscoveryCore::jsonWriterMatchesTree() {
    Instance i;
    i.appid = "app \"quoted\" \\ back";
    i.hostname = "tab\there\nnew line \x01 ctl";
    i.zone = "z\xC3\xA9"; // é
    i.env = "bad \xFF utf8 \xC3";
    i.addrs = {"http://1.2.3.4:80", "grpc://[::1]:9"};
    i.metadata = {{"k\"", "v\\"}, {"empty", ""}};
    i.status = 2;
    i.regTimestamp = 1;
    i.upTimestamp = -2;
    i.renewTimestamp = 1'795'307'445'047'184'908;
    i.dirtyTimestamp = 4;
    i.latestTimestamp = 5;
    std::string text;
    appendJson(text, i);
    const auto parsed = nlohmann::json::parse(text, nullptr, false);
    QVERIFY2(!parsed.is_discarded(), text.c_str());
    auto expected = toJson(i);
    expected["env"] = "bad \xEF\xBF\xBD utf8 \xEF\xBF\xBD"; // U+FFFD for the invalid bytes
    QCOMPARE(QString::fromStdString(parsed.dump()), QString::fromStdString(expected.dump()));

    InstanceInfo info;
    info.latestTimestamp = 99;
    info.instances["z1"] = {i, i};
    info.instances["z2"] = {};
    std::string infoText;
    appendJson(infoText, info);
    const auto parsedInfo = nlohmann::json::parse(infoText, nullptr, false);
    QVERIFY(!parsedInfo.is_discarded());
    QCOMPARE(parsedInfo["instances"]["z1"].size(), 2u);
    QVERIFY(parsedInfo["instances"]["z2"].empty());
    QCOMPARE(parsedInfo["latest_timestamp"].get<int>(), 99);

    const auto env = nlohmann::json::parse(envelopeRaw(Code::NotFound, "no \"x\"", ""));
    QCOMPARE(env["code"].get<int>(), -404);
    QVERIFY(!env.contains("data"));
    QCOMPARE(env["ttl"].get<int>(), 1);
}

void TestDiscoveryCore::timestampsAreRangeChecked_data() {
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

void TestDiscoveryCore::timestampsAreRangeChecked() {
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

void TestDiscoveryCore::timestampsStayStrictlyIncreasing() {
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

void TestDiscoveryCore::generationMovesOnEveryVisibleChange() {
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

QTEST_GUILESS_MAIN(TestDiscoveryCore)
#include "tst_discovery_core.moc"
