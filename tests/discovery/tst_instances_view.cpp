// The instances view end to end under offscreen: real regscope-discoveryd, a fleet of
// registrators, DiscoveryConnector → Store → InstancesView. Half the fleet is SIGKILLed:
// their rows turn stale, the self-protection banner comes up, and past the (shortened)
// ceiling they are evicted and show up on the evictions timeline.

#include "connectors/discovery/DiscoveryConnector.h"
#include "models/Store.h"
#include "models/instances/InstanceFilterProxy.h"
#include "models/instances/InstanceModel.h"
#include "models/instances/InstanceTimelineModel.h"
#include "models/instances/ProtectionStatus.h"
#include "tests/discovery/DiscoveryTestSupport.h"
#include "views/instances/InstancesView.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QTest>
#include <QTreeView>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::testing;

class TestInstancesView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        registerConnectorMetaTypes();
        qRegisterMetaType<RecordKind>();
    }
    void staleThenBannerThenEvicted();
    void switchClearsTheOldSourceAtOnce();
};

namespace {
QModelIndex proxyApp(const QAbstractItemModel& m, const QString& appid) {
    for (int i = 0; i < m.rowCount(); ++i)
        if (m.index(i, 0).data(InstanceModel::AppIdRole).toString() == appid)
            return m.index(i, 0);
    return {};
}
} // namespace

void TestInstancesView::staleThenBannerThenEvicted() {
    DiscoverydProcess server;
    QVERIFY(server.start({u"--renew-interval"_s, u"200ms"_s, u"--evict-interval"_s, u"400ms"_s,
                          u"--evict-threshold"_s, u"1s"_s, u"--evict-ceiling"_s, u"3s"_s}));
    std::vector<std::unique_ptr<QProcess>> fleet;
    for (int i = 0; i < 10; ++i)
        fleet.push_back(startRegistrator(
            server.url(), {i < 6 ? u"payments.api"_s : u"users.api"_s,
                           u"node-%1"_s.arg(i, 2, 10, QLatin1Char('0')),
                           i % 2 ? u"sh001"_s : u"sh002"_s, u"prod"_s, u"150ms"_s, u"600"_s}));

    // The whole fleet is registered before regscope attaches, so its first snapshot holds all
    // ten and the register timeline must stay empty (a snapshot is not a burst of registers).
    QNetworkAccessManager nam;
    const auto registered = [&] {
        QUrl url = server.url();
        url.setPath(u"/discovery/fetch/all"_s);
        const ApiResult r = httpGet(nam, url);
        int n = 0;
        const QJsonObject apps = r.data.toObject();
        for (auto it = apps.begin(); it != apps.end(); ++it)
            n += int(it.value().toArray().size());
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(registered(), 10, 15'000);

    Store store;
    DiscoveryConnector::Options o;
    o.snapshotRefreshMs = 100;
    o.metricsIntervalMs = 100;
    DiscoveryConnector connector(server.url(), o);
    connect(&connector, &Connector::eventsReady, &store, &Store::apply, Qt::QueuedConnection);
    InstancesView view(&store);
    QAbstractItemModelTester tester(view.model(),
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(view.proxy(),
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
    view.model()->setTickInterval(100);
    view.resize(1400, 720);
    view.show();
    connector.start();

    QTRY_COMPARE_WITH_TIMEOUT(view.model()->instanceCount(), 10, 15'000);
    QCOMPARE(view.model()->rowCount(), 2);
    QCOMPARE(view.timeline(u"instance-register"_s)->rowCount(), 0); // the snapshot is not a burst
    // The whole fleet renews: once a full window is counted, no protection, nothing stale.
    const auto latest = [&store]() -> std::optional<ProtectionStatus> {
        const MetricsSample* last = store.metrics().latest();
        if (!last)
            return std::nullopt;
        return ProtectionStatus::fromSample(*last);
    };
    QTRY_VERIFY_WITH_TIMEOUT(latest() && !latest()->on && latest()->instances == 10 &&
                                 latest()->renewsLastWindow >= latest()->threshold,
                             10'000);
    QTRY_VERIFY_WITH_TIMEOUT(!view.bannerShown(), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(view.model()->staleCount(), 0, 5000);

    for (int i = 0; i < 5; ++i) {
        fleet[size_t(i)]->kill();
        QVERIFY(fleet[size_t(i)]->waitForFinished(5000));
    }
    QTRY_COMPARE_WITH_TIMEOUT(view.model()->staleCount(), 5, 10'000);
    // Half the renews are missing: below the threshold, self-protection on, banner up.
    QTRY_VERIFY_WITH_TIMEOUT(latest() && latest()->on && latest()->renewsLastWindow > 0, 10'000);
    QTRY_VERIFY_WITH_TIMEOUT(view.bannerShown(), 5000);
    QCOMPARE(view.model()->instanceCount(), 10); // held by self-protection for now

    // Past the 1 s threshold: they would go but for the protection (2 per pass: 10 - 8).
    QTRY_VERIFY_WITH_TIMEOUT(latest() && latest()->on && latest()->expired == 5, 10'000);
    QCOMPARE(latest()->wouldEvictIfLifted(), 2);
    QCOMPARE(view.model()->instanceCount(), 10);

    view.proxy()->setStaleOnly(true);
    int staleRows = 0;
    for (int a = 0; a < view.proxy()->rowCount(); ++a)
        staleRows += view.proxy()->rowCount(view.proxy()->index(a, 0));
    QCOMPARE(staleRows, 5);
    view.proxy()->setStaleOnly(false);
    view.tree()->expandAll();
    const QString shot = QStringLiteral(REGSCOPE_TEST_OUTPUT_DIR) + u"/instances_view.png"_s;
    QVERIFY(view.grab().save(shot));

    // Past the 3 s ceiling they go (at most 2 per pass), even under protection.
    QTRY_COMPARE_WITH_TIMEOUT(view.model()->instanceCount(), 5, 15'000);
    QTRY_COMPARE_WITH_TIMEOUT(view.timeline(u"instance-evict"_s)->rowCount(), 5, 5000);
    QCOMPARE(view.model()->staleCount(), 0);

    // A graceful stop is a cancel on the timeline.
    fleet[9]->terminate();
    QVERIFY(fleet[9]->waitForFinished(10'000));
    QTRY_COMPARE_WITH_TIMEOUT(view.timeline(u"instance-cancel"_s)->rowCount(), 1, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(view.model()->instanceCount(), 4, 5000);
    connector.stop();
    for (auto& p : fleet)
        if (p->state() != QProcess::NotRunning) {
            p->terminate();
            p->waitForFinished(10'000);
        }
}

// Issue 10 #3: Ctrl+L to another discoveryd. The old SELF-PROTECTION banner, its cancels and
// its instances go at the switch, not at the new server's first sample; the groups the user
// collapsed stay collapsed; the detail pane shows the new source's instance.
void TestInstancesView::switchClearsTheOldSourceAtOnce() {
    DiscoverydProcess a;
    QVERIFY(a.start({u"--renew-interval"_s, u"200ms"_s, u"--evict-interval"_s, u"400ms"_s,
                     u"--evict-threshold"_s, u"1s"_s, u"--evict-ceiling"_s, u"60s"_s}));
    DiscoverydProcess b;
    QVERIFY(b.start());
    std::vector<std::unique_ptr<QProcess>> fleet;
    for (int i = 0; i < 6; ++i)
        fleet.push_back(
            startRegistrator(a.url(), {i < 4 ? u"payments.api"_s : u"users.api"_s, u"a-%1"_s.arg(i),
                                       u"sh001"_s, u"prod"_s, u"150ms"_s, u"600"_s}));
    for (const auto& [app, host] :
         {std::pair{u"users.api"_s, u"b-1"_s}, std::pair{u"orders.api"_s, u"b-2"_s}})
        fleet.push_back(
            startRegistrator(b.url(), {app, host, u"sh002"_s, u"prod"_s, u"1s"_s, u"600"_s}));

    Store store;
    DiscoveryConnector::Options o;
    o.snapshotRefreshMs = 100;
    o.metricsIntervalMs = 100;
    auto connector = std::make_unique<DiscoveryConnector>(a.url(), o);
    connect(connector.get(), &Connector::eventsReady, &store, &Store::apply, Qt::QueuedConnection);
    InstancesView view(&store);
    QAbstractItemModelTester tester(view.model(),
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    view.resize(1400, 720);
    view.show();
    connector->start();
    QTRY_COMPARE_WITH_TIMEOUT(view.model()->instanceCount(), 6, 15'000);
    QTRY_VERIFY_WITH_TIMEOUT(proxyApp(*view.proxy(), u"users.api"_s).isValid(), 5000);
    QVERIFY(view.tree()->isExpanded(proxyApp(*view.proxy(), u"users.api"_s)));
    view.tree()->collapse(proxyApp(*view.proxy(), u"users.api"_s));
    QVERIFY(view.collapsedApps().contains(u"users.api"_s));

    for (int i = 0; i < 3; ++i) {
        fleet[size_t(i)]->kill();
        QVERIFY(fleet[size_t(i)]->waitForFinished(5000));
    }
    QTRY_VERIFY_WITH_TIMEOUT(view.bannerShown(), 15'000);
    fleet[4]->terminate();
    QVERIFY(fleet[4]->waitForFinished(10'000));
    QTRY_COMPARE_WITH_TIMEOUT(view.timeline(u"instance-cancel"_s)->rowCount(), 1, 10'000);
    QVERIFY(!view.freshnessText().isEmpty());

    // The switch, as Session::adopt does it: stop the old connector, drop what it posted,
    // clear the store. Everything of server A is gone now, without waiting for anything.
    connector->stop();
    connector.reset();
    QCoreApplication::removePostedEvents(&store, QEvent::MetaCall);
    store.clear();
    QVERIFY(!view.bannerShown());
    QCOMPARE(view.timeline(u"instance-cancel"_s)->rowCount(), 0);
    QCOMPARE(view.timeline(u"instance-evict"_s)->rowCount(), 0);
    QCOMPARE(view.timeline(u"instance-register"_s)->rowCount(), 0);
    QCOMPARE(view.model()->instanceCount(), 0);
    QCOMPARE(view.model()->staleCount(), 0);
    QVERIFY(view.freshnessText().isEmpty());
    QVERIFY(!view.model()->timing().selfProtection);

    connector = std::make_unique<DiscoveryConnector>(b.url(), o);
    connect(connector.get(), &Connector::eventsReady, &store, &Store::apply, Qt::QueuedConnection);
    connector->start();
    QTRY_COMPARE_WITH_TIMEOUT(view.model()->instanceCount(), 2, 15'000);
    // (B's own banner is B's business: a server just started may well be protecting itself.)
    // users.api was collapsed on A: it stays collapsed on B; orders.api opens as new groups do.
    QTRY_VERIFY_WITH_TIMEOUT(proxyApp(*view.proxy(), u"orders.api"_s).isValid(), 5000);
    QVERIFY(!view.tree()->isExpanded(proxyApp(*view.proxy(), u"users.api"_s)));
    QVERIFY(view.tree()->isExpanded(proxyApp(*view.proxy(), u"orders.api"_s)));

    // The detail pane: every address, the timestamps and the raw record.
    const QModelIndex orders = proxyApp(*view.proxy(), u"orders.api"_s);
    view.tree()->setCurrentIndex(view.proxy()->index(0, 0, orders));
    QVERIFY(view.detailText().contains(u"orders.api / b-2"_s));
    QVERIFY(view.detailText().contains(u"Addresses"_s));
    QVERIFY(view.detailText().contains(u"last renew"_s));
    QVERIFY(view.detailText().contains(u"Raw JSON"_s));
    QVERIFY(view.detailText().contains(u"\"renew_age_ms\""_s));
    connector->stop();
    for (auto& p : fleet)
        if (p->state() != QProcess::NotRunning) {
            p->terminate();
            p->waitForFinished(10'000);
        }
}

QTEST_MAIN(TestInstancesView)
#include "tst_instances_view.moc"
