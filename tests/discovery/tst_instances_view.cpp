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
};

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
        if (store.metricsHistory().empty())
            return std::nullopt;
        return ProtectionStatus::fromSample(store.metricsHistory().back());
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

QTEST_MAIN(TestInstancesView)
#include "tst_instances_view.moc"
