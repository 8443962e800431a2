// `regscope --connect etcd://…/prefix --dump json` against a real etcd: every key under the
// prefix with its value, revisions and lease, equal to what etcdctl sees; etcd not running is
// exit 3 with a reason on stderr and nothing on stdout.

#include "EtcdProcess.h"
#include "EtcdTestSupport.h"
#include "tests/support/RunRegscope.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
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
