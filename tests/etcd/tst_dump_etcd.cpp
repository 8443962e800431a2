// `regscope --connect etcd://…/prefix --dump json` against a real etcd: every key under the
// prefix with its value, revisions and lease, equal to what etcdctl sees; etcd not running is
// exit 3 with a reason on stderr and nothing on stdout.

#include "EtcdProcess.h"
#include "EtcdTestSupport.h"
#include "connectors/etcd/EtcdClient.h"
#include "tests/support/RunRegscope.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;

class TestDumpEtcd : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void dumpEqualsEtcdctl() {
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        for (int i = 0; i < 12; ++i)
            QVERIFY(etcd.etcdctl(
                {u"put"_s, u"/dump/k%1"_s.arg(i, 2, 10, QChar(u'0')), u"{\"n\":%1}"_s.arg(i)}));
        QVERIFY(etcd.etcdctl({u"del"_s, u"/dump/k03"_s}));
        QVERIFY(etcd.etcdctl({u"put"_s, u"/elsewhere"_s, u"not ours"_s}));
        const auto expected = etcdctlState(etcd, "/dump/");
        QVERIFY(expected);

        const RegscopeRun run = runRegscope({u"--connect"_s, etcd.etcdUrl(u"/dump/"_s), u"--dump"_s,
                                             u"json"_s, u"--deadline"_s, u"20"_s});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonArray keys = QJsonDocument::fromJson(run.out).object().value(u"keys").toArray();
        QCOMPARE(size_t(keys.size()), expected->size());
        auto want = expected->begin();
        for (const QJsonValue v : keys) {
            const QJsonObject o = v.toObject();
            QCOMPARE(o.value(u"key").toString().toUtf8(), want->first);
            QCOMPARE(qint64(o.value(u"mod_revision").toInteger()), want->second.modRevision);
            QCOMPARE(qint64(o.value(u"create_revision").toInteger()), want->second.createRevision);
            ++want;
        }
    }

    // Keys are bytes: two keys that differ only in bytes that are not UTF-8 stay two keys, and
    // the dump carries them exactly (key_b64), with a readable escaped "key" beside.
    void nonUtf8KeysRoundTripThroughDump() {
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        EtcdClient client(etcd.endpoint(0), testOptions(etcd.endpoints(), {}));
        QVERIFY(client.connect());
        QVERIFY(client.put(QByteArray("/bin/k") + char(0xff), QByteArray("v") + char(0x80)));
        QVERIFY(client.put(QByteArray("/bin/k") + char(0xfe), "text"));
        QVERIFY(client.put("/bin/plain", "ok"));
        QVERIFY(client.put("/bin/back\\x41", "a backslash, not an escape"));
        const RegscopeRun run = runRegscope({u"--connect"_s, etcd.etcdUrl(u"/bin/"_s), u"--dump"_s,
                                             u"json"_s, u"--deadline"_s, u"20"_s});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonArray keys = QJsonDocument::fromJson(run.out).object().value(u"keys").toArray();
        QCOMPARE(keys.size(), 4);
        QSet<QByteArray> exact;
        QSet<QString> shown;
        for (const QJsonValue v : keys) {
            const QJsonObject o = v.toObject();
            shown.insert(o.value(u"key").toString());
            const QByteArray bytes =
                o.contains(u"key_b64")
                    ? QByteArray::fromBase64(o.value(u"key_b64").toString().toLatin1())
                    : o.value(u"key").toString().toUtf8();
            exact.insert(bytes);
            if (bytes == QByteArray("/bin/k") + char(0xff)) {
                QCOMPARE(o.value(u"key").toString(), u"/bin/k\\xff"_s);
                QCOMPARE(QByteArray::fromBase64(o.value(u"value_b64").toString().toLatin1()),
                         QByteArray("v") + char(0x80));
            }
        }
        QCOMPARE(shown.size(), 4); // no two keys read the same
        QVERIFY(exact.contains(QByteArray("/bin/k") + char(0xff)));
        QVERIFY(exact.contains(QByteArray("/bin/k") + char(0xfe)));
        QVERIFY(shown.contains(u"/bin/back\\\\x41"_s)); // a real backslash is escaped
    }

    void etcdDownIsExitThreeWithAReason() {
        EtcdProcess etcd(1); // ports picked, nothing started
        const RegscopeRun run = runRegscope({u"--connect"_s, etcd.etcdUrl(u"/dump/"_s), u"--dump"_s,
                                             u"json"_s, u"--deadline"_s, u"5"_s});
        QCOMPARE(run.exitCode, 3);
        QVERIFY(run.out.isEmpty());
        QVERIFY2(run.err.contains("cannot reach"), run.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestDumpEtcd)
#include "tst_dump_etcd.moc"
