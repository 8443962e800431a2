// Issue 10 #2 end to end: the real regscope-discoveryd holds dead instances under
// self-protection; it is SIGTERMed and started again on the same port. What the new server
// does not list was forgotten, not evicted: the timeline says "server restarted: N instances
// no longer known" and carries no eviction, since no server's discovery_evictions_total moved.

#include "connectors/discovery/DiscoveryConnector.h"
#include "models/Store.h"
#include "models/instances/InstanceModel.h"
#include "models/instances/InstanceTimelineModel.h"
#include "models/instances/ProtectionStatus.h"
#include "tests/discovery/DiscoveryTestSupport.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QRegularExpression>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::testing;

class TestInstancesRestart : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        registerConnectorMetaTypes();
        qRegisterMetaType<RecordKind>();
    }
    void restartIsNotEvictions();
};

void TestInstancesRestart::restartIsNotEvictions() {
    DiscoverydProcess server;
    QVERIFY(server.start({u"--renew-interval"_s, u"200ms"_s, u"--evict-interval"_s, u"400ms"_s,
                          u"--evict-threshold"_s, u"1s"_s, u"--evict-ceiling"_s, u"120s"_s}));
    std::vector<std::unique_ptr<QProcess>> fleet;
    for (int i = 0; i < 6; ++i)
        fleet.push_back(
            startRegistrator(server.url(), {u"payments.api"_s, u"node-%1"_s.arg(i), u"sh001"_s,
                                            u"prod"_s, u"150ms"_s, u"600"_s}));
    Store store;
    DiscoveryConnector::Options o;
    o.metricsIntervalMs = 200;
    o.backoffMaxMs = 1'000;
    DiscoveryConnector connector(server.url(), o);
    connect(&connector, &Connector::eventsReady, &store, &Store::apply, Qt::QueuedConnection);
    InstanceModel model(&store);
    InstanceTimelineModel evictions(&store, u"instance-evict"_s);
    connector.start();
    QTRY_COMPARE_WITH_TIMEOUT(model.instanceCount(), 6, 20'000);

    // Three die; the rest's renews are below the threshold: self-protection holds the dead.
    for (int i = 0; i < 3; ++i) {
        fleet[size_t(i)]->kill();
        QVERIFY(fleet[size_t(i)]->waitForFinished(5000));
    }
    const auto latest = [&store]() -> std::optional<ProtectionStatus> {
        const MetricsSample* last = store.metrics().latest();
        if (!last)
            return std::nullopt;
        return ProtectionStatus::fromSample(*last);
    };
    QTRY_VERIFY_WITH_TIMEOUT(latest() && latest()->on && latest()->expired == 3, 15'000);
    QTRY_COMPARE_WITH_TIMEOUT(model.staleCount(), 3, 5'000);
    QCOMPARE(model.instanceCount(), 6);

    QVERIFY(server.restart());
    // The living re-register with the new server; the dead are simply not known to it.
    const auto restartLine = [&store]() -> QString {
        for (const auto& e : store.timeline())
            if (e.category == u"server-restart"_s)
                return e.text;
        return {};
    };
    QTRY_VERIFY_WITH_TIMEOUT(!restartLine().isEmpty(), 20'000);
    QTRY_COMPARE_WITH_TIMEOUT(model.instanceCount(), 3, 20'000);
    static const QRegularExpression said(u"^server restarted: [3-6] instances no longer known$"_s);
    QVERIFY2(said.match(restartLine()).hasMatch(), qPrintable(restartLine()));
    for (const auto& e : store.timeline())
        QVERIFY2(e.category != u"instance-evict"_s, qPrintable(e.text));
    QCOMPARE(evictions.rowCount(), 0);
    connector.stop();
    for (auto& p : fleet)
        if (p->state() != QProcess::NotRunning) {
            p->terminate();
            p->waitForFinished(10'000);
        }
}

QTEST_GUILESS_MAIN(TestInstancesRestart)
#include "tst_instances_restart.moc"
