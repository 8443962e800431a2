// Probe verdicts through the house data path: ProbeEvents applied by the Store (latest per
// instance and address, dropped with the instance, the address or the source), read by the
// InstanceModel (the Probe column, its states, the unreachable count per app and in all),
// the "registered but unreachable" filter, and the Instances panel (toggle, indicator,
// column shown only while probing, the unreachable count beside the stale count).

#include "models/ItemRoles.h"
#include "models/ProbeControl.h"
#include "models/Store.h"
#include "models/instances/InstanceFilterProxy.h"
#include "models/instances/InstanceModel.h"
#include "views/instances/InstancesView.h"

#include <QCheckBox>
#include <QTest>
#include <QTreeView>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

InstanceRecord instance(const QString& app, const QString& host, QStringList addrs) {
    InstanceRecord r;
    r.appid = app;
    r.hostname = host;
    r.zone = u"z1"_s;
    r.env = u"prod"_s;
    r.addrs = std::move(addrs);
    r.source = u"discovery"_s;
    return r;
}

ProbeEvent verdict(const InstanceRecord& r, const QString& addr, ProbeState s, double ms = 1.5) {
    return ProbeEvent{recordId(r), addr, s, ms, 1'700'000'000'000, u"detail"_s};
}

void send(Store& store, EventBatch batch) {
    store.apply(std::make_shared<const EventBatch>(std::move(batch)));
    store.flush();
}

// A ProbeControl the test drives (the app's is the ProbeFeeder).
class FakeControl : public ProbeControl {
public:
    bool on = false;
    bool probing() const override { return on; }
    void setProbing(bool v) override {
        on = v;
        Q_EMIT probingChanged(v);
    }
    int addressCount() const override { return on ? 3 : 0; }
    ProbeLimits limits() const override { return {}; }
};

QModelIndex child(const InstanceModel& m, int app, int row, int column) {
    return m.index(row, column, m.index(app, 0));
}

} // namespace

class TestProbeView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void storeKeepsTheLatestPerAddressWhileItIsRegistered();
    void modelShowsVerdictsAndCountsUnreachable();
    void panelShowsProbingOnlyWhileOn();
};

void TestProbeView::storeKeepsTheLatestPerAddressWhileItIsRegistered() {
    Store store;
    const InstanceRecord a = instance(u"pay"_s, u"a"_s, {u"http://h:1"_s, u"grpc://h:2"_s});
    send(store, {UpsertEvent{a}});
    QStringList changed;
    connect(&store, &Store::probesChanged, this, [&](const QStringList& ids) { changed += ids; });
    // A verdict for an instance or an address not in the store is dropped.
    const InstanceRecord ghost = instance(u"pay"_s, u"ghost"_s, {u"http://h:9"_s});
    send(store, {verdict(ghost, u"http://h:9"_s, ProbeState::Up),
                 verdict(a, u"http://elsewhere:1"_s, ProbeState::Up)});
    QCOMPARE(store.probedInstances(), 0);
    QVERIFY(changed.isEmpty());
    send(store, {verdict(a, u"http://h:1"_s, ProbeState::Up),
                 verdict(a, u"grpc://h:2"_s, ProbeState::Unhealthy)});
    QCOMPARE(store.probes(recordId(a))->size(), 2);
    QVERIFY(store.probeSummary(recordId(a))->state == ProbeState::Unhealthy); // the worst
    QCOMPARE(changed, QStringList{recordId(a)});
    send(store, {verdict(a, u"http://h:1"_s, ProbeState::Timeout)});
    QCOMPARE(store.probes(recordId(a))->size(), 2); // replaced, not appended
    QVERIFY(store.probeSummary(recordId(a))->state == ProbeState::Timeout);
    // The address goes: its verdict with it.
    InstanceRecord moved = a;
    moved.addrs = {u"grpc://h:2"_s};
    changed.clear();
    send(store, {UpsertEvent{moved}});
    QCOMPARE(store.probes(recordId(a))->size(), 1);
    QCOMPARE(changed, QStringList{recordId(a)});
    // The instance goes: every verdict with it.
    send(store, {RemoveEvent{RecordKind::Instance, recordId(a), 0}});
    QVERIFY(!store.probes(recordId(a)));
    send(store, {UpsertEvent{a}, verdict(a, u"http://h:1"_s, ProbeState::Up)});
    store.clearProbes();
    QCOMPARE(store.probedInstances(), 0);
    send(store, {verdict(a, u"http://h:1"_s, ProbeState::Up)});
    store.clear(); // a new source
    QCOMPARE(store.probedInstances(), 0);
}

void TestProbeView::modelShowsVerdictsAndCountsUnreachable() {
    Store store;
    const InstanceRecord up = instance(u"pay"_s, u"a-up"_s, {u"http://h:1"_s});
    const InstanceRecord refused = instance(u"pay"_s, u"b-refused"_s, {u"http://h:2"_s});
    const InstanceRecord sick = instance(u"pay"_s, u"c-sick"_s, {u"http://h:3"_s});
    const InstanceRecord slow = instance(u"users"_s, u"d-slow"_s, {u"tcp://h:4"_s});
    send(store, {UpsertEvent{up}, UpsertEvent{refused}, UpsertEvent{sick}, UpsertEvent{slow}});
    InstanceModel model(&store);
    InstanceFilterProxy proxy;
    proxy.setSourceModel(&model);
    QCOMPARE(model.data(child(model, 0, 0, InstanceModel::ProbeColumn)).toString(), QString());
    QCOMPARE(
        model.data(child(model, 0, 0, InstanceModel::ProbeColumn), InstanceModel::ProbeStateRole)
            .toInt(),
        -1);
    send(store, {verdict(up, u"http://h:1"_s, ProbeState::Up, 2.25),
                 verdict(refused, u"http://h:2"_s, ProbeState::Refused),
                 verdict(sick, u"http://h:3"_s, ProbeState::Unhealthy, 12.0),
                 verdict(slow, u"tcp://h:4"_s, ProbeState::Timeout, 1000)});
    QCOMPARE(model.unreachableCount(), 2);
    const QModelIndex upCell = child(model, 0, 0, InstanceModel::ProbeColumn);
    QCOMPARE(model.data(upCell).toString(), u"up 2.3 ms"_s);
    QCOMPARE(model.data(upCell, StateRole).toInt(), int(ItemState::Healthy));
    QVERIFY(model.data(upCell, Qt::ToolTipRole).toString().contains(u"http://h:1: up"_s));
    const QModelIndex refusedCell = child(model, 0, 1, InstanceModel::ProbeColumn);
    QCOMPARE(model.data(refusedCell).toString(), u"refused"_s);
    QCOMPARE(model.data(refusedCell, StateRole).toInt(), int(ItemState::Down));
    QVERIFY(model.data(refusedCell, InstanceModel::UnreachableRole).toBool());
    QCOMPARE(model.data(child(model, 0, 2, InstanceModel::ProbeColumn)).toString(),
             u"unhealthy 12 ms"_s);
    QCOMPARE(model.data(child(model, 0, 2, InstanceModel::ProbeColumn), StateRole).toInt(),
             int(ItemState::Warning));
    QCOMPARE(model.data(model.index(0, InstanceModel::ProbeColumn)).toString(), u"1 unreachable"_s);
    // Registered but unreachable: the refused one and the timed-out one.
    proxy.setUnreachableOnly(true);
    QCOMPARE(proxy.rowCount(), 2);
    QCOMPARE(proxy.rowCount(proxy.index(0, 0)), 1);
    QCOMPARE(proxy.index(0, 0, proxy.index(0, 0)).data().toString(), u"b-refused"_s);
    // It answers again: the filter and the count follow.
    send(store, {verdict(refused, u"http://h:2"_s, ProbeState::Up)});
    QCOMPARE(model.unreachableCount(), 1);
    QCOMPARE(proxy.rowCount(), 1);
    // A removed instance takes its verdict out of the count.
    send(store, {RemoveEvent{RecordKind::Instance, recordId(slow), 0}});
    QCOMPARE(model.unreachableCount(), 0);
    QCOMPARE(proxy.rowCount(), 0);
}

void TestProbeView::panelShowsProbingOnlyWhileOn() {
    Store store;
    const InstanceRecord gone = instance(u"pay"_s, u"gone"_s, {u"http://h:2"_s});
    send(store, {UpsertEvent{instance(u"pay"_s, u"a"_s, {u"http://h:1"_s})}, UpsertEvent{gone}});
    InstancesView view(&store);
    view.resize(1200, 600);
    view.show();
    QVERIFY(view.probeToggle()->isHidden()); // nothing to probe with: no toggle
    FakeControl control;
    view.setProbeControl(&control);
    QVERIFY(!view.probeToggle()->isHidden());
    QVERIFY(!view.probeToggle()->isChecked()); // off by default
    QVERIFY(view.tree()->isColumnHidden(InstanceModel::ProbeColumn));
    QVERIFY(view.probeIndicatorText().isEmpty());
    QVERIFY(view.unreachableOnly()->isHidden());
    view.probeToggle()->click();
    QVERIFY(control.on);
    QVERIFY(!view.tree()->isColumnHidden(InstanceModel::ProbeColumn));
    QCOMPARE(view.probeIndicatorText(), u"Probing 3 address(es) (50/s, 32 at once)"_s);
    QVERIFY(!view.unreachableOnly()->isHidden());
    send(store, {verdict(gone, u"http://h:2"_s, ProbeState::Refused)});
    QVERIFY2(view.summaryText().contains(u"1 unreachable"_s), qPrintable(view.summaryText()));
    // The detail pane has each address's last verdict.
    view.tree()->setCurrentIndex(view.proxy()->index(1, 0, view.proxy()->index(0, 0)));
    QVERIFY2(view.detailText().contains(u"http://h:2   probe: refused, 1.5 ms"_s),
             qPrintable(view.detailText()));
    control.setProbing(false);
    QVERIFY(!view.probeToggle()->isChecked());
    QVERIFY(view.tree()->isColumnHidden(InstanceModel::ProbeColumn));
    QVERIFY(view.probeIndicatorText().isEmpty());
}

QTEST_MAIN(TestProbeView)
#include "tst_probe_view.moc"
