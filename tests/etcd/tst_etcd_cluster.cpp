// Three real etcd members: kill the member the connector watches through in the middle of a
// put burst; the connector moves and ends equal to etcdctl, nothing lost, nothing doubled.

#include "EtcdProcess.h"
#include "EtcdTestSupport.h"
#include "connectors/etcd/EtcdClient.h"
#include "models/etcd/EtcdClusterModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include <atomic>
#include <thread>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;

class TestEtcdCluster : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void failoverMidBurst() {
        EtcdProcess etcd(3);
        QVERIFY2(etcd.start(30000), qPrintable(etcd.lastError()));
        Wired w(testOptions(etcd.endpoints(), "/fo/"));
        EtcdClusterModel cluster;
        QAbstractItemModelTester tester(&cluster,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        cluster.setStore(&w.store);
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(cluster.rowCount(), 3, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(cluster.leaderId() != 0, 5000);
        const QString used = w.connector->endpointInUse();
        const int victim = static_cast<int>(etcd.endpoints().indexOf(used));
        QVERIFY(victim >= 0);
        const int writer = (victim + 1) % 3;

        // The burst comes from another client on a member we do not kill.
        std::atomic<int> done{0};
        std::atomic<bool> failed{false};
        std::thread burst([&] {
            EtcdClient c(etcd.endpoint(writer), testOptions(etcd.endpoints(), {}));
            if (!c.connect()) {
                failed = true;
                return;
            }
            for (int i = 0; i < 300; ++i) {
                const QByteArray key = "/fo/k" + QByteArray::number(i % 120);
                // Retry through a leader election: a put may fail while there is none.
                bool ok = false;
                for (int attempt = 0; attempt < 50 && !ok; ++attempt)
                    ok = c.put(key, QByteArray::number(i)).has_value();
                if (!ok) {
                    failed = true;
                    return;
                }
                if (i % 7 == 0)
                    c.deleteRange("/fo/k" + QByteArray::number((i / 7) % 120));
                ++done;
            }
        });
        QTRY_VERIFY_WITH_TIMEOUT(done >= 100, 20000);
        etcd.killMember(victim); // the member in use, mid burst
        burst.join();
        QVERIFY(!failed);
        QTRY_VERIFY_WITH_TIMEOUT(
            !w.connector->endpointInUse().isEmpty() && w.connector->endpointInUse() != used, 15000);
        const auto expected = etcdctlState(etcd, "/fo/");
        QVERIFY(expected);
        QVERIFY(!expected->empty());
        QTRY_VERIFY_WITH_TIMEOUT(storeState(w.store) == *expected, 15000);
        QVERIFY2(w.revisionsMonotonic(), "an event was applied twice or out of order");
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 5000);
        QVERIFY(std::any_of(w.timeline.begin(), w.timeline.end(),
                            [](const TimelineEvent& e) { return e.category == u"failover"_s; }));
        // The cluster panel sees the dead member as unreachable.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (int r = 0; r < cluster.rowCount(); ++r)
                    if (!cluster.index(r, 0).data(EtcdClusterModel::ReachableRole).toBool())
                        return true;
                return false;
            }(),
            10000);
    }

    // The member in use loses its leader (the two others die): hasleader makes its watch end,
    // the connector says why, and comes back when quorum returns.
    void leaderLossLeavesLiveAndRecovers() {
        EtcdProcess etcd(3);
        QVERIFY2(etcd.start(30000), qPrintable(etcd.lastError()));
        Wired w(testOptions(etcd.endpoints(), "/nl/"));
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 10000);
        const int used = static_cast<int>(etcd.endpoints().indexOf(w.connector->endpointInUse()));
        QVERIFY(used >= 0);
        const int a = (used + 1) % 3, b = (used + 2) % 3;
        etcd.killMember(a);
        etcd.killMember(b);
        QTRY_VERIFY_WITH_TIMEOUT(w.lastHealth() != HealthState::Live, 10000);
        QVERIFY(!w.healths.last().reason.isEmpty());
        qInfo("%s: %s", qPrintable(toString(w.healths.last().state)),
              qPrintable(w.healths.last().reason));
        QVERIFY2(etcd.startMember(a, 20000), qPrintable(etcd.lastError()));
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 15000);
        QVERIFY(etcd.etcdctl({u"put"_s, u"/nl/after"_s, u"1"_s}));
        QTRY_COMPARE_WITH_TIMEOUT(w.store.count(RecordKind::Key), qsizetype(1), 10000);
    }
};

QTEST_GUILESS_MAIN(TestEtcdCluster)
#include "tst_etcd_cluster.moc"
