// The etcd widgets on the offscreen platform: keys view (value viewer, filter, progress),
// cluster view (members, chart), time travel view. Set REGSCOPE_SCREENSHOT_DIR to save PNGs.

#include "models/SourceControls.h"
#include "models/Store.h"
#include "models/etcd/EtcdClusterModel.h"
#include "models/etcd/EtcdKeysModel.h"
#include "models/etcd/EtcdMetricSeries.h"
#include "models/etcd/EtcdTimeTravel.h"
#include "views/etcd/EtcdClusterView.h"
#include "views/etcd/EtcdKeysView.h"
#include "views/etcd/EtcdPanel.h"
#include "views/etcd/EtcdTimeTravelView.h"
#include "views/etcd/EtcdValueView.h"

#include <QAbstractItemModelTester>
#include <QChart>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTest>
#include <QTreeWidget>

#include <functional>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {
KeyRecord kv(const QByteArray& key, const QByteArray& value, qint64 rev, qint64 lease = 0) {
    KeyRecord r;
    r.key = key;
    r.value = value;
    r.createRevision = rev;
    r.modRevision = rev;
    r.version = 1;
    r.lease = lease;
    return r;
}
void shoot(QWidget* w, const QString& name) {
    const QString dir = qEnvironmentVariable("REGSCOPE_SCREENSHOT_DIR");
    if (dir.isEmpty())
        return;
    QDir().mkpath(dir);
    w->grab().save(dir + u'/' + name);
}
} // namespace

// Answers time-travel requests the way the etcd connector's controls would.
class AnsweringControls : public SourceControls {
public:
    bool supportsTimeTravel() const override { return true; }
    void requestRevisionState(quint64 id, qint64 rev) override { asked(id, rev); }
    std::function<void(quint64, qint64)> asked;
};

class TestEtcdViews : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void keysViewShowsJsonTreeAndFilters() {
        EtcdKeysModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        model.applyChanges(
            {kv("/services/billing/host-1",
                "{\"addrs\":[\"http://"
                "10.0.0.1:80\"],\"zone\":\"z1\",\"metadata\":{\"weight\":10,\"tags\":[\"a\",\"b\"]}"
                "}",
                12, 0x1a2b),
             kv("/services/billing/host-2", "{\"addrs\":[\"http://10.0.0.2:80\"],\"zone\":\"z1\"}",
                14, 0x1a2c),
             kv("/services/search/host-9", "{\"addrs\":[\"grpc://10.0.0.9:9000\"]}", 15, 0x1a2d),
             kv("/config/feature-flags", "dark-mode=on\nbeta=off", 9),
             kv("/config/blob", QByteArray("\x00\x01\x02\xfe\xff binary", 12), 10)},
            {});
        LeaseInfo a{0x1a2b, 28, 30, {"/services/billing/host-1"}, now};
        LeaseInfo b{0x1a2c, 4, 30, {"/services/billing/host-2"}, now};
        LeaseInfo c{0x1a2d, 9, 10, {"/services/search/host-9"}, now};
        model.updateLeases({a, b, c});
        EtcdKeysView view(&model);
        view.resize(1000, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QCOMPARE(view.table()->model()->rowCount(), 5);
        view.table()->selectRow(
            2); // sorted: /config/blob, /config/feature-flags, /services/billing/host-1
        QVERIFY(view.valueView()->showsJsonTree());
        QTreeWidget* tree = view.valueView()->jsonTree();
        QCOMPARE(tree->topLevelItemCount(), 1);
        QVERIFY(tree->topLevelItem(0)->childCount() == 3);
        shoot(&view, u"etcd-keys-leases.png"_s);
        view.table()->selectRow(0);
        QVERIFY(!view.valueView()->showsJsonTree());
        QVERIFY(
            view.valueView()->textView()->toPlainText().startsWith(u"00000000  00 01 02 fe ff"_s));
        view.setFilter(u"billing"_s);
        QCOMPARE(view.table()->model()->rowCount(), 2);
        // Progress and cancel while a snapshot loads.
        QSignalSpy cancel(&view, &EtcdKeysView::cancelSnapshotRequested);
        view.setSnapshotProgress(5000, 1000000);
        QVERIFY(view.progressBar()->isVisible());
        QCOMPARE(view.progressBar()->value(), 5000);
        view.findChild<QPushButton*>()->click();
        QCOMPARE(cancel.size(), 1);
        view.setSnapshotProgress(1000000, 1000000);
        QVERIFY(!view.progressBar()->isVisible());
    }

    void clusterViewDrawsMembersAndCharts() {
        EtcdClusterModel members;
        QAbstractItemModelTester tester(&members,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        EtcdMetricSeries series;
        EtcdClusterView view(&members, &series);
        ClusterSample info;
        info.leaderId = 2;
        info.endpointInUse = u"127.0.0.1:2379"_s;
        for (quint64 id : {1, 2, 3}) {
            ClusterMember m;
            m.id = id;
            m.name = u"m"_s + QString::number(id);
            m.reachable = id != 3;
            m.version = u"3.4.23"_s;
            m.dbSize = 1 << 20;
            m.dbSizeInUse = 1 << 19;
            m.error = id == 3 ? u"connection refused"_s : QString();
            info.members.push_back(m);
        }
        members.update(info);
        QCOMPARE(members.rowCount(), 3);
        info.members.pop_back();
        members.update(info);
        QCOMPARE(members.rowCount(), 2);
        for (int t = 0; t < 5; ++t) {
            MetricsSample s;
            s.timestampMs = 1'700'000'000'000 + t * 1000;
            for (const QString& m : {u"m1"_s, u"m2"_s})
                s.points.push_back({u"etcd_server_proposals_committed_total"_s,
                                    {{u"member"_s, m}},
                                    double(t * 100)});
            series.addSample(s);
        }
        view.resize(900, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QCOMPARE(view.chart()->series().size(), 2);
        shoot(&view, u"etcd-cluster.png"_s);
    }

    void timeTravelViewAsksAndShowsDiff() {
        ControlBroker broker;
        AnsweringControls controls;
        broker.setControls(&controls);
        EtcdTimeTravel travel(&broker);
        EtcdTimeTravelView view(&travel);
        int askedCount = 0;
        controls.asked = [&](quint64 id, qint64 rev) {
            ++askedCount;
            RevisionState s;
            s.requestId = id;
            s.revision = rev;
            s.headerRevision = 40;
            s.compactFloor = 5;
            s.ok = true;
            if (rev <= 20)
                s.kvs = {kv("/services/a/1", "{\"v\":1}", 10), kv("/services/b/1", "x", 12)};
            else
                s.kvs = {kv("/services/a/1", "{\"v\":2}", 30), kv("/services/c/1", "y", 31)};
            QMetaObject::invokeMethod(
                &controls, [&controls, s] { Q_EMIT controls.revisionStateReady(s); },
                Qt::QueuedConnection);
        };
        view.resize(900, 500);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.diffFromField()->setRange(1, 100);
        view.diffToField()->setRange(1, 100);
        view.diffFromField()->setValue(20);
        view.diffToField()->setValue(35);
        view.diffButton()->click();
        QCOMPARE(askedCount, 2);
        QTRY_COMPARE(travel.diffModel()->rowCount(), 3);
        QCOMPARE(travel.compactFloor(), 5);
        QCOMPARE(view.revisionField()->minimum(), 5);
        shoot(&view, u"etcd-revision-diff.png"_s);
        view.revisionField()->setValue(20);
        view.showButton()->click();
        QTRY_COMPARE(travel.stateModel()->rowCount(), 2);
    }

    void panelHasThreeTabs() {
        Store store;
        ControlBroker broker;
        EtcdKeysModel keys;
        EtcdClusterModel cluster;
        EtcdMetricSeries series;
        EtcdTimeTravel travel(&broker);
        EtcdPanel panel(&store, &broker, &keys, &cluster, &series, &travel);
        QCOMPARE(panel.count(), 3);
    }

    // A source without revisions (the demo) answers at once: the diff never spins.
    void timeTravelOnASourceWithoutRevisionsFailsAtOnce() {
        ControlBroker broker; // no controls set: the demo's case
        EtcdTimeTravel travel(&broker);
        QVERIFY(!travel.available());
        QSignalSpy failed(&travel, &EtcdTimeTravel::failed);
        travel.diff(1, 1);
        QVERIFY(failed.wait(1000));
        QVERIFY(failed.first().at(0).toString().contains(u"etcd"_s));
    }
};

QTEST_MAIN(TestEtcdViews)
#include "tst_etcd_views.moc"
