// Alerts under a fake clock: each of the six rules raises and clears, a condition that flickers
// does not flap, a switched-off rule clears, every raise and clear lands on the Store's
// timeline (without making the source look fresh), the `--follow` line's fields, the rules in
// QSettings, and the badge and the Settings dialog in both themes.

#include "models/Store.h"
#include "models/alerts/AlertEngine.h"
#include "views/MainWindow.h"
#include "views/Theme.h"
#include "views/alerts/AlertBadge.h"
#include "views/alerts/AlertSettingsDialog.h"
#include "views/alerts/AlertsUi.h"

#include <QApplication>
#include <QCheckBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QMenuBar>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

constexpr qint64 kStart = 1'764'000'000'000;

MetricsSample lookups(qint64 ts, double misses) {
    MetricsSample s;
    s.timestampMs = ts;
    s.points.push_back({u"regscope_registry_lookup_total"_s, {{u"outcome"_s, u"miss"_s}}, misses});
    s.points.push_back({u"regscope_registry_lookup_total"_s, {{u"outcome"_s, u"hit"_s}}, 0});
    return s;
}

MetricsSample protection(qint64 ts, bool on) {
    MetricsSample s;
    s.timestampMs = ts;
    s.points.push_back({u"discovery_self_protection"_s, {}, on ? 1.0 : 0.0});
    s.points.push_back({u"discovery_renews_last_window"_s, {}, 3});
    s.points.push_back({u"discovery_renew_threshold"_s, {}, 17});
    return s;
}

InstanceRecord instance(const QString& host, Staleness staleness) {
    InstanceRecord i;
    i.appid = u"shop"_s;
    i.hostname = host;
    i.staleness = staleness;
    return i;
}

PluginEvent plugin(const QString& path, PluginState state) {
    PluginEvent e;
    e.path = path;
    e.state = state;
    return e;
}

// The defaults with misses above 100/s.
AlertRules testRules() {
    AlertRules rules;
    rules[AlertRuleId::MissRate].threshold = 100;
    return rules;
}

// A store, an engine on a fake clock, and spies on both of its signals.
struct Rig {
    explicit Rig(AlertRules rules = testRules()) {
        AlertEngine::Options o;
        o.nowMs = [this] { return now; };
        o.tickMs = 3'600'000; // the test drives evaluate() itself
        engine = std::make_unique<AlertEngine>(&store, rules, o);
        engine->setSourceName([] { return u"demo"_s; });
        raised = std::make_unique<QSignalSpy>(engine.get(), &AlertEngine::raised);
        cleared = std::make_unique<QSignalSpy>(engine.get(), &AlertEngine::cleared);
    }
    void apply(SourceEvent e) {
        store.apply(std::make_shared<EventBatch>(EventBatch{std::move(e)}));
        store.flush();
    }
    void advance(qint64 ms) {
        now += ms;
        engine->evaluate();
    }
    Alert lastRaised() const { return raised->last().at(0).value<Alert>(); }
    Alert lastCleared() const { return cleared->last().at(0).value<Alert>(); }
    QList<TimelineEvent> alertLines() {
        store.flush();
        QList<TimelineEvent> out;
        for (const TimelineEvent& e : store.timeline())
            if (e.category == u"alert")
                out.append(e);
        return out;
    }

    qint64 now = kStart;
    Store store;
    std::unique_ptr<AlertEngine> engine;
    std::unique_ptr<QSignalSpy> raised;
    std::unique_ptr<QSignalSpy> cleared;
};

} // namespace

class TestAlerts : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void missRateRaisesAndClears();
    void selfProtectionRaisesAndClears();
    void staleInstancesRaiseAndClear();
    void leaseExpiringRaisesAndClears();
    void pluginCrashRaisesAndClears();
    void sourceDownRaisesAndClears();
    void flickerDoesNotFlap();
    void switchedOffRuleClears();
    void sourceSwitchClearsSourceAlerts();
    void whatHoldsAtStartIsRaised();
    void followLine();
    void rulesPersist();
    void badgeAndDialog();
};

void TestAlerts::missRateRaisesAndClears() {
    Rig rig;
    rig.apply(lookups(kStart, 0));
    rig.apply(lookups(kStart + 1000, 50)); // 50/s: under 100
    QCOMPARE(rig.raised->count(), 0);
    rig.apply(lookups(kStart + 2000, 250)); // 200/s
    QCOMPARE(rig.raised->count(), 1);
    QCOMPARE(rig.lastRaised().rule, AlertRuleId::MissRate);
    QCOMPARE(rig.lastRaised().subject, u"demo"_s);
    QVERIFY2(rig.lastRaised().message.contains(u"200.0 lookup misses/s"),
             qPrintable(rig.lastRaised().message));
    QCOMPARE(rig.engine->activeCount(), 1);
    // 90/s is under the threshold but over 80 % of it: still raised.
    rig.apply(lookups(kStart + 3000, 340));
    rig.advance(10'000);
    QCOMPARE(rig.cleared->count(), 0);
    rig.apply(lookups(kStart + 4000, 340)); // 0/s
    rig.advance(4'999);
    QCOMPARE(rig.cleared->count(), 0); // not yet gone for the 5 s hold
    const qint64 delivered = rig.store.lastDeliveryMs();
    // Past the store's 50 ms burst: a delivery now would move the stamp.
    QVERIFY(QTest::qWaitFor(
        [delivered] { return QDateTime::currentMSecsSinceEpoch() - delivered > 50; }, 1000));
    rig.advance(1);
    QCOMPARE(rig.cleared->count(), 1);
    QCOMPARE(rig.engine->activeCount(), 0);
    QVERIFY(!rig.lastCleared().active());
    // Both ends are on the store's timeline, and they did not make the source fresh.
    const QList<TimelineEvent> lines = rig.alertLines();
    QCOMPARE(lines.size(), 2);
    QVERIFY(lines[0].text.startsWith(u"raised: "));
    QVERIFY(lines[1].text.startsWith(u"cleared: "));
    QCOMPARE(lines[1].timestampMs, rig.now);
    QCOMPARE(rig.store.lastDeliveryMs(), delivered); // the alert line is not the source's
}

void TestAlerts::selfProtectionRaisesAndClears() {
    Rig rig;
    rig.apply(protection(kStart, false));
    QCOMPARE(rig.raised->count(), 0);
    rig.apply(protection(kStart + 1000, true));
    QCOMPARE(rig.raised->count(), 1);
    QCOMPARE(rig.lastRaised().rule, AlertRuleId::SelfProtection);
    QVERIFY(rig.lastRaised().message.contains(u"threshold of 17"));
    rig.apply(protection(kStart + 2000, false));
    rig.advance(5'000);
    QCOMPARE(rig.cleared->count(), 1);
    QCOMPARE(rig.lastCleared().rule, AlertRuleId::SelfProtection);
}

void TestAlerts::staleInstancesRaiseAndClear() {
    AlertRules rules;
    rules[AlertRuleId::StaleInstances].threshold = 1; // more than one
    Rig rig(rules);
    rig.apply(UpsertEvent{instance(u"a"_s, Staleness::Stale), 1});
    QCOMPARE(rig.raised->count(), 0);
    rig.apply(UpsertEvent{instance(u"b"_s, Staleness::Stale), 2});
    QCOMPARE(rig.raised->count(), 1);
    QVERIFY2(rig.lastRaised().message.startsWith(u"2 stale instances (more than 1)"),
             qPrintable(rig.lastRaised().message));
    rig.apply(UpsertEvent{instance(u"b"_s, Staleness::Fresh), 3});
    rig.advance(5'000);
    QCOMPARE(rig.cleared->count(), 1);
    // Removing a stale instance counts too.
    rig.apply(UpsertEvent{instance(u"c"_s, Staleness::Stale), 4});
    QCOMPARE(rig.raised->count(), 2);
    rig.apply(RemoveEvent{RecordKind::Instance, recordId(instance(u"c"_s, Staleness::Stale)), 5});
    rig.advance(5'000);
    QCOMPARE(rig.cleared->count(), 2);
}

void TestAlerts::leaseExpiringRaisesAndClears() {
    Rig rig; // within 3 s
    rig.apply(LeasesEvent{{LeaseInfo{0x2a, 10, 10, {}, rig.now}}});
    QCOMPARE(rig.raised->count(), 0);
    rig.advance(6'000); // 4 s left
    QCOMPARE(rig.raised->count(), 0);
    rig.advance(1'500); // 2.5 s left
    QCOMPARE(rig.raised->count(), 1);
    QCOMPARE(rig.lastRaised().rule, AlertRuleId::LeaseExpiring);
    QVERIFY2(rig.lastRaised().message.startsWith(u"lease 0x2a expires in 2 s"),
             qPrintable(rig.lastRaised().message));
    // A keep-alive: the TTL as read again is back at 10 s.
    rig.apply(LeasesEvent{{LeaseInfo{0x2a, 10, 10, {}, rig.now}}});
    rig.advance(4'999);
    QCOMPARE(rig.cleared->count(), 0);
    rig.advance(1);
    QCOMPARE(rig.cleared->count(), 1);
    // A lease that is gone is no alert.
    rig.apply(LeasesEvent{{LeaseInfo{0x2a, -1, 10, {}, rig.now}}});
    rig.advance(20'000);
    QCOMPARE(rig.raised->count(), 1);
}

void TestAlerts::pluginCrashRaisesAndClears() {
    Rig rig;
    rig.apply(plugin(u"/p/good.so"_s, PluginState::Ready));
    rig.apply(plugin(u"/p/fault.so"_s, PluginState::Crashed));
    QCOMPARE(rig.raised->count(), 1);
    QCOMPARE(rig.lastRaised().rule, AlertRuleId::PluginCrash);
    QCOMPARE(rig.lastRaised().subject, u"/p/fault.so"_s);
    // A second plugin crashing is a second alert.
    rig.apply(plugin(u"/p/hang.so"_s, PluginState::TimedOut));
    QCOMPARE(rig.raised->count(), 2);
    QCOMPARE(rig.engine->activeCount(), 2);
    // The automatic retry brings it back: cleared once the hold has passed.
    rig.apply(plugin(u"/p/fault.so"_s, PluginState::Ready));
    rig.advance(5'000);
    QCOMPARE(rig.cleared->count(), 1);
    QCOMPARE(rig.lastCleared().subject, u"/p/fault.so"_s);
    QCOMPARE(rig.engine->active().size(), 1);
    QCOMPARE(rig.engine->active().first().subject, u"/p/hang.so"_s);
}

void TestAlerts::sourceDownRaisesAndClears() {
    Rig rig; // down for 10 s
    rig.apply(SourceHealth{HealthState::Live, u"live"_s});
    rig.apply(SourceHealth{HealthState::Down, u"connection refused"_s});
    rig.advance(5'000);
    // A reconnect attempt does not end the outage.
    rig.apply(SourceHealth{HealthState::Connecting, u"reconnecting"_s});
    rig.advance(4'999);
    QCOMPARE(rig.raised->count(), 0);
    rig.advance(1);
    QCOMPARE(rig.raised->count(), 1);
    QCOMPARE(rig.lastRaised().rule, AlertRuleId::SourceDown);
    QVERIFY2(rig.lastRaised().message.contains(u"connection refused"),
             qPrintable(rig.lastRaised().message));
    rig.apply(SourceHealth{HealthState::Live, u"live"_s});
    rig.advance(5'000);
    QCOMPARE(rig.cleared->count(), 1);
}

void TestAlerts::flickerDoesNotFlap() {
    Rig rig;
    double misses = 0;
    rig.apply(lookups(rig.now, misses));
    // 20 s of a rate that jumps between 150/s and 10/s every second: one alert, held.
    for (int i = 1; i <= 20; ++i) {
        misses += i % 2 ? 150 : 10;
        rig.now += 1000;
        rig.apply(lookups(rig.now, misses));
        rig.engine->evaluate();
    }
    QCOMPARE(rig.raised->count(), 1);
    QCOMPARE(rig.cleared->count(), 0);
    QCOMPARE(rig.alertLines().size(), 1);
}

void TestAlerts::switchedOffRuleClears() {
    Rig rig;
    rig.apply(plugin(u"/p/fault.so"_s, PluginState::Crashed));
    QCOMPARE(rig.raised->count(), 1);
    AlertRules rules;
    rules[AlertRuleId::PluginCrash].enabled = false;
    rig.engine->setRules(rules);
    QCOMPARE(rig.cleared->count(), 1); // at once, no hold
    rig.apply(plugin(u"/p/other.so"_s, PluginState::Crashed));
    QCOMPARE(rig.raised->count(), 1);
}

void TestAlerts::sourceSwitchClearsSourceAlerts() {
    Rig rig;
    rig.apply(protection(kStart, true));
    rig.apply(plugin(u"/p/fault.so"_s, PluginState::Crashed));
    QCOMPARE(rig.engine->activeCount(), 2);
    rig.store.clear(); // another source: its alerts are not this one's
    QCOMPARE(rig.cleared->count(), 1);
    QCOMPARE(rig.lastCleared().rule, AlertRuleId::SelfProtection);
    QCOMPARE(rig.engine->activeCount(), 1); // plugins are not per source
}

void TestAlerts::whatHoldsAtStartIsRaised() {
    Store store;
    store.apply(std::make_shared<EventBatch>(
        EventBatch{plugin(u"/p/fault.so"_s, PluginState::Crashed),
                   UpsertEvent{instance(u"a"_s, Staleness::Stale), 1}}));
    store.flush();
    AlertEngine engine(&store, AlertRules{});
    QSignalSpy raised(&engine, &AlertEngine::raised); // connected after construction: not late
    QTRY_COMPARE(raised.count(), 2);
    QCOMPARE(engine.activeCount(), 2);
}

void TestAlerts::followLine() {
    Alert a{AlertRuleId::LeaseExpiring, u"etcd://127.0.0.1:2379/"_s, u"lease 0x2a expires"_s,
            kStart, 0};
    QJsonObject o = toJson(a);
    QCOMPARE(o.value(u"op").toString(), u"alert"_s);
    QCOMPARE(o.value(u"rule").toString(), u"lease_expiring"_s);
    QCOMPARE(o.value(u"state").toString(), u"raised"_s);
    QCOMPARE(o.value(u"subject").toString(), a.subject);
    QCOMPARE(o.value(u"message").toString(), a.message);
    QCOMPARE(o.value(u"time").toString(), u"2025-11-24T16:00:00.000Z"_s);
    QCOMPARE(o.value(u"ts").toInteger(), kStart);
    a.clearedAtMs = kStart + 1500;
    o = toJson(a);
    QCOMPARE(o.value(u"state").toString(), u"cleared"_s);
    QCOMPARE(o.value(u"time").toString(), u"2025-11-24T16:00:01.500Z"_s);
    QCOMPARE(ruleKey(AlertRuleId::MissRate), u"miss_rate"_s);
    QCOMPARE(ruleKey(AlertRuleId::PluginCrash), u"plugin_crash"_s);
    QCOMPARE(ruleKey(AlertRuleId::SourceDown), u"source_down"_s);
}

void TestAlerts::rulesPersist() {
    QTemporaryDir dir;
    QSettings settings(dir.filePath(u"a.conf"_s), QSettings::IniFormat);
    QCOMPARE(AlertRules::load(settings), AlertRules{}); // nothing saved: the defaults
    AlertRules rules;
    rules[AlertRuleId::MissRate] = {false, 12.5};
    rules[AlertRuleId::SourceDown].threshold = 30;
    rules.clearHoldMs = 2000;
    rules.save(settings);
    QCOMPARE(AlertRules::load(settings), rules);
    settings.setValue(u"alerts/stale_instances/threshold"_s, u"lots"_s); // malformed
    settings.setValue(u"alerts/lease_expiring/threshold"_s, -4);
    const AlertRules read = AlertRules::load(settings);
    QCOMPARE(read[AlertRuleId::StaleInstances].threshold, 0.0);
    QCOMPARE(read[AlertRuleId::LeaseExpiring].threshold, 0.0);
}

void TestAlerts::badgeAndDialog() {
    const QString out = qEnvironmentVariable("REGSCOPE_ALERT_SCREENSHOTS");
    Rig rig;
    MainWindow window;
    window.setStore(&rig.store);
    installAlerts(&window, rig.engine.get());
    auto* badge = window.findChild<AlertBadge*>();
    QVERIFY(badge);
    QVERIFY(window.findChild<QAction*>(u"alertSettingsAction"_s));
    window.resize(900, 300);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(!badge->isVisible()); // hidden at none
    rig.apply(plugin(u"/p/fault.so"_s, PluginState::Crashed));
    rig.apply(SourceHealth{HealthState::Down, u"connection refused"_s});
    rig.advance(10'000);
    QCOMPARE(rig.engine->activeCount(), 2);
    QVERIFY(badge->isVisible());
    QCOMPARE(badge->text(), u"⚠ 2 alerts"_s);
    QCOMPARE(badge->lines().size(), 2);
    for (auto theme : {MainWindow::Theme::Light, MainWindow::Theme::Dark}) {
        window.setTheme(theme, MainWindow::Remember::No);
        QApplication::processEvents();
        const QString name = theme == MainWindow::Theme::Dark ? u"dark"_s : u"light"_s;
        // The badge follows the theme: its colour differs from the window text.
        QVERIFY(
            badge->styleSheet().contains(theme::text(ItemState::Warning, theme::current()).name()));
        if (!out.isEmpty())
            QVERIFY(window.grab().save(out + u"/alert-badge-"_s + name + u".png"_s));
        AlertSettingsDialog* dialog = openAlertSettings(&window, rig.engine.get());
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        if (!out.isEmpty())
            QVERIFY(dialog->grab().save(out + u"/alert-dialog-"_s + name + u".png"_s));
        dialog->close();
        QApplication::processEvents();
    }
    // The dialog gives back what it was given, and accepting it changes the engine's rules.
    AlertRules rules;
    rules[AlertRuleId::MissRate] = {false, 42};
    AlertSettingsDialog dialog(rules);
    QCOMPARE(dialog.rules(), rules);
    dialog.enabledBox(AlertRuleId::PluginCrash)->setChecked(false);
    QVERIFY(!dialog.rules()[AlertRuleId::PluginCrash].enabled);
    dialog.thresholdBox(AlertRuleId::SourceDown)->setValue(60);
    rig.engine->setRules(dialog.rules());
    QCOMPARE(rig.engine->rules()[AlertRuleId::SourceDown].threshold, 60.0);
    QCOMPARE(rig.engine->activeCount(), 1); // the plugin alert went with its rule
}

QTEST_MAIN(TestAlerts)
#include "tst_alerts.moc"
