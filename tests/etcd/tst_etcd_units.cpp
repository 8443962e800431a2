// Pieces of the etcd room that need no server: URL parsing, prefix ranges, /metrics text,
// value display, the service layout, the keys model's batches and countdown, the keys model
// on a Store's records, counter resets.

#include "connectors/PrometheusText.h"
#include "connectors/etcd/EtcdOptions.h"
#include "connectors/etcd/EtcdServiceLayout.h"
#include "connectors/etcd/EtcdSettings.h"
#include "models/ItemRoles.h"
#include "models/Store.h"
#include "models/etcd/EtcdIds.h"
#include "models/etcd/EtcdKeysModel.h"
#include "models/etcd/EtcdMetricSeries.h"
#include "models/etcd/EtcdRevisionDiff.h"
#include "models/etcd/EtcdValueFormat.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

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
} // namespace

class TestEtcdUnits : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesUrls() {
        auto o = parseEtcdUrl(u"etcd://127.0.0.1:2379,10.0.0.2:2379/services"_s);
        QVERIFY(o);
        QCOMPARE(o->endpoints, (QStringList{u"127.0.0.1:2379"_s, u"10.0.0.2:2379"_s}));
        QCOMPARE(o->prefix, QByteArray("/services"));
        QVERIFY(!o->tls.enabled);
        QCOMPARE(toEtcdUrl(*o), u"etcd://127.0.0.1:2379,10.0.0.2:2379/services"_s);
        auto svc = parseEtcdUrl(u"etcd://h:1/?services=/services/"_s);
        QVERIFY(svc);
        QCOMPARE(svc->servicePrefix, QByteArray("/services/"));
        QVERIFY(svc->prefix.isEmpty());
        QCOMPARE(toEtcdUrl(*svc), u"etcd://h:1/?services=/services/"_s);
        QCOMPARE(int(parseEtcdUrl(u"etcd://h:1/?x=1"_s).error().code),
                 int(EtcdError::Code::InvalidArgument));
        auto t = parseEtcdUrl(u"etcds://h:1"_s);
        QVERIFY(t && t->tls.enabled && t->prefix.isEmpty());
        QCOMPARE(int(parseEtcdUrl(u"http://h:1/x"_s).error().code),
                 int(EtcdError::Code::InvalidArgument));
        QCOMPARE(int(parseEtcdUrl(u"etcd://h/x"_s).error().code),
                 int(EtcdError::Code::InvalidArgument));
        QCOMPARE(int(parseEtcdUrl(u"etcd:///x"_s).error().code),
                 int(EtcdError::Code::InvalidArgument));
    }

    void settingsNeverHoldThePasswordInPlainText() {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(u"s.ini"_s), QSettings::IniFormat);
        EtcdSettingsStore store{dir.filePath(u"key"_s)};
        auto o = parseEtcdUrl(u"etcds://a:1,b:2/p"_s);
        QVERIFY(o);
        o->user = u"root"_s;
        o->password = u"hunter2-secret"_s;
        o->tls.caFile = u"/ca.pem"_s;
        QVERIFY(store.save(settings, u"etcd/main"_s, *o));
        settings.sync();
        QFile ini(dir.filePath(u"s.ini"_s));
        QVERIFY(ini.open(QIODevice::ReadOnly));
        QVERIFY(!ini.readAll().contains("hunter2"));
        QCOMPARE(QFileInfo(dir.filePath(u"key"_s)).permissions() &
                     (QFileDevice::ReadGroup | QFileDevice::ReadOther),
                 QFileDevice::Permissions());
        auto back = store.load(settings, u"etcd/main"_s);
        QVERIFY(back);
        QCOMPARE(back->password, o->password);
        QCOMPARE(back->endpoints, o->endpoints);
        QCOMPARE(back->tls.caFile, o->tls.caFile);
        QVERIFY(back->tls.enabled);
        EtcdSettingsStore other{dir.filePath(u"other-key"_s)};
        QVERIFY(!other.load(settings, u"etcd/main"_s));
    }

    // etcdctl prints lease ids as %016x: a lease whose id starts with a zero nibble (1 cluster
    // in 16) must read the same in regscope, or a pasted id matches nothing.
    void leaseIdsReadAsEtcdctlPrintsThem() {
        QCOMPARE(etcdLeaseText(0x1234), u"0000000000001234"_s);
        QCOMPARE(etcdLeaseText(0x694d7b2ab1e4d40a), u"694d7b2ab1e4d40a"_s);
        QCOMPARE(etcdLeaseText(-1), u"ffffffffffffffff"_s);
    }

    void prefixRangeEnds() {
        QCOMPARE(prefixRangeEnd("/a/"), QByteArray("/a0"));
        QCOMPARE(prefixRangeEnd(QByteArray("a\xff", 2)), QByteArray("b"));
        QCOMPARE(prefixRangeEnd(QByteArray("\xff\xff", 2)), QByteArray(1, '\0'));
    }

    void parsesPrometheusText() {
        const QByteArray text =
            "# HELP x\n# TYPE etcd_server_has_leader gauge\n"
            "etcd_server_has_leader 1\n"
            "etcd_mvcc_db_total_size_in_bytes 20480\n"
            "etcd_server_proposals_committed_total 1.5e+06\n"
            "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Range\"} 12\n"
            "broken{\n";
        auto all = parsePrometheusText(text, {});
        QCOMPARE(all.size(), size_t(4));
        QCOMPARE(all[2].value, 1.5e6);
        QCOMPARE(all[3].labels.value(u"grpc_method"_s), u"Range"_s);
        auto some = parsePrometheusText(text, {u"etcd_server_has_leader"_s});
        QCOMPARE(some.size(), size_t(1));
    }

    void classifiesValues() {
        QCOMPARE(int(classifyEtcdValue("{\"a\":[1,2]}")), int(EtcdValueKind::Json));
        QCOMPARE(int(classifyEtcdValue("{not json")), int(EtcdValueKind::Text));
        QCOMPARE(int(classifyEtcdValue("héllo")), int(EtcdValueKind::Text));
        QCOMPARE(int(classifyEtcdValue(QByteArray("\x00\x01\xfe", 3))), int(EtcdValueKind::Binary));
        QVERIFY(etcdValuePretty("{\"a\":1}", EtcdValueKind::Json).contains(u"\n  \"a\": 1"_s));
        QVERIFY(etcdValuePretty(QByteArray("\x00\x01", 2), EtcdValueKind::Binary)
                    .startsWith(u"00000000  00 01"_s));
        QCOMPARE(etcdKeyDisplay(QByteArray("a\x01", 2)), u"a\\x01"_s);
    }

    void serviceLayout() {
        auto r = instanceFromKey(
            kv("/services/app/i1", "{\"addr\":\"h:1\",\"zone\":\"z\",\"metadata\":{\"w\":3}}", 5),
            "/services/");
        QVERIFY(r);
        QCOMPARE(r->appid, u"app"_s);
        QCOMPARE(r->hostname, u"i1"_s);
        QCOMPARE(r->zone, u"z"_s);
        QCOMPARE(r->addrs, QStringList{u"h:1"_s});
        QCOMPARE(r->metadata.value(u"w"_s), u"3"_s);
        QCOMPARE(r->source, u"etcd"_s);
        QVERIFY(!instanceFromKey(kv("/services/app", "{}", 5), "/services/"));
        QVERIFY(!instanceFromKey(kv("/services/a/b/c", "{}", 5), "/services/"));
        QVERIFY(!instanceFromKey(kv("/other/a/b", "{}", 5), "/services/"));
    }

    void keysModelBatchesAndCountsDown() {
        qint64 now = 1'000'000;
        EtcdKeysModel::Options o;
        o.nowMs = [&] { return now; };
        o.countdownIntervalMs = 60'000; // ticks driven by hand below
        EtcdKeysModel model(o);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        std::vector<KeyRecord> batch;
        for (int i = 0; i < 100; ++i)
            batch.push_back(kv("/k/" + QByteArray::number(1000 + i), "v", i + 1, i < 10 ? 7 : 0));
        model.applyChanges(batch, {});
        QCOMPARE(model.rowCount(), 100);
        QCOMPARE(inserted.size(), 1); // one run
        // Interleaved inserts: one insert per gap, removals per run.
        model.applyChanges({kv("/k/1005a", "x", 200), kv("/k/1005b", "x", 200),
                            kv("/k/1050a", "x", 201), kv("/k/1001", "changed", 202)},
                           {u"/k/1090"_s, u"/k/1091"_s, u"/k/1092"_s, u"/k/1010"_s});
        QCOMPARE(model.rowCount(), 99);
        QCOMPARE(removed.size(), 2);
        QCOMPARE(inserted.size(), 3);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(resets.size(), 0);
        for (int i = 1; i < model.rowCount(); ++i)
            QVERIFY(model.recordAt(i - 1)->key < model.recordAt(i)->key);
        // Lease countdown from the fetched TTL with a fake clock.
        LeaseInfo l;
        l.id = 7;
        l.ttl = 30;
        l.grantedTtl = 30;
        l.fetchedAtMs = now;
        model.updateLeases({l});
        const QModelIndex first = model.index(model.rowOf("/k/1000"), 0);
        QCOMPARE(first.data(EtcdKeysModel::TtlRemainingRole).toLongLong(), 30);
        QVERIFY(!first.data(EtcdKeysModel::ExpiringSoonRole).toBool());
        now += 26'000;
        changed.clear();
        model.tick();
        QVERIFY(changed.size() >= 1);
        QCOMPARE(first.data(EtcdKeysModel::TtlRemainingRole).toLongLong(), 4);
        QVERIFY(first.data(EtcdKeysModel::ExpiringSoonRole).toBool());
        QCOMPARE(first.data(RowStateRole).toInt(), int(ItemState::Expiring));
        // setState merges: no reset, targeted removals.
        model.setState({kv("/k/1000", "v", 1, 7), kv("/z", "new", 300)});
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(resets.size(), 0);
    }

    // Fed by a Store, the rows point at the store's records: an update in place shows (with
    // its dataChanged), a resync snapshot that drops keys while it changes others leaves the
    // right rows (the dropped records are still readable while the model is told), and a
    // clear() leaves none. Under QAbstractItemModelTester all the way.
    void keysModelFollowsTheStoresRecords() {
        Store store;
        EtcdKeysModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setStore(&store);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        auto upserts = std::make_shared<EventBatch>();
        for (int i = 0; i < 300; ++i)
            upserts->emplace_back(
                UpsertEvent{kv("/k/" + QByteArray::number(10000 + i), "v0", i + 1), i + 1});
        store.apply(std::move(upserts));
        store.flush();
        QCOMPARE(model.rowCount(), 300);
        const int row = model.rowOf("/k/10042");
        QCOMPARE(model.recordAt(row),
                 std::get_if<KeyRecord>(store.find(RecordKind::Key, u"/k/10042"_s)));
        store.apply(std::make_shared<EventBatch>(
            EventBatch{UpsertEvent{kv("/k/10042", "{\"a\":1}", 600), 600}}));
        store.flush();
        QCOMPARE(changed.size(), 1);
        QCOMPARE(model.index(row, EtcdKeysModel::ValueColumn)
                     .data(EtcdKeysModel::ValueBytesRole)
                     .toByteArray(),
                 QByteArray("{\"a\":1}"));
        QCOMPARE(model.index(row, 0).data(EtcdKeysModel::ValueKindRole).toInt(),
                 int(EtcdValueKind::Json));
        // A resync: every other key gone, some changed, a few new.
        std::vector<Record> state;
        for (int i = 0; i < 300; i += 2)
            state.emplace_back(
                kv("/k/" + QByteArray::number(10000 + i), i % 10 == 0 ? "v1" : "v0", i + 1));
        for (int i = 0; i < 10; ++i)
            state.emplace_back(kv("/n/" + QByteArray::number(i), "new", 700));
        SnapshotEvent snap;
        snap.kind = RecordKind::Key;
        snap.records = std::move(state);
        store.apply(std::make_shared<EventBatch>(EventBatch{std::move(snap)}));
        store.flush();
        QCOMPARE(model.rowCount(), 160);
        for (int r = 0; r < model.rowCount(); ++r) {
            const KeyRecord* k = model.recordAt(r);
            QVERIFY(k);
            QCOMPARE(k, std::get_if<KeyRecord>(store.find(RecordKind::Key, recordId(*k))));
            if (r > 0)
                QVERIFY(model.recordAt(r - 1)->key < k->key);
        }
        QCOMPARE(model.index(model.rowOf("/k/10010"), 0)
                     .data(EtcdKeysModel::ValueBytesRole)
                     .toByteArray(),
                 QByteArray("v1"));
        QCOMPARE(model.rowOf("/k/10001"), -1);
        store.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void counterResetsAreNotNegative() {
        EtcdMetricSeries series;
        auto sample = [](qint64 t, double v) {
            MetricsSample s;
            s.timestampMs = t;
            s.points.push_back(
                {u"etcd_server_proposals_committed_total"_s, {{u"member"_s, u"m0"_s}}, v});
            return s;
        };
        series.addSample(sample(1000, 100));
        series.addSample(sample(2000, 150)); // 50/s
        series.addSample(sample(3000, 10));  // restarted: 10 since the reset
        const auto pts = series.series(u"etcd_server_proposals_committed_total"_s, u"m0"_s);
        QCOMPARE(pts.size(), size_t(2));
        QCOMPARE(pts[0].y(), 50.0);
        QCOMPARE(pts[1].y(), 10.0);
        QCOMPARE(series.resetsSeen(), 1);
    }

    void diffsStates() {
        const auto d = diffEtcdStates({kv("a", "1", 1), kv("b", "2", 2), kv("c", "3", 3)},
                                      {kv("a", "1", 1), kv("c", "4", 5), kv("d", "5", 6)});
        QCOMPARE(d.size(), size_t(3));
        QCOMPARE(int(d[0].kind), int(EtcdKeyChange::Kind::Removed));
        QCOMPARE(int(d[1].kind), int(EtcdKeyChange::Kind::Changed));
        QCOMPARE(int(d[2].kind), int(EtcdKeyChange::Kind::Added));
    }
};

QTEST_GUILESS_MAIN(TestEtcdUnits)
#include "tst_etcd_units.moc"
