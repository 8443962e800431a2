// `regscope --connect http://… --dump json` against the real regscope-discoveryd: every app
// and instance is printed; a server that is not there is exit 3 with a reason on stderr and
// nothing on stdout.

#include "tests/discovery/DiscoveryTestSupport.h"
#include "tests/support/RunRegscope.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QTcpServer>
#include <QTest>
#include <QUrlQuery>

using namespace Qt::StringLiterals;
using namespace regscope::testing;
using regscope::test::RegscopeRun;
using regscope::test::runRegscope;

class TestDumpDiscovery : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void dumpsEveryAppAndInstance() {
        DiscoverydProcess server;
        QVERIFY(server.start());
        QNetworkAccessManager nam;
        for (const auto& [appid, host] :
             {std::pair{u"payments.api"_s, u"node-1"_s}, std::pair{u"payments.api"_s, u"node-2"_s},
              std::pair{u"users.api"_s, u"node-9"_s}}) {
            QUrlQuery form;
            form.addQueryItem(u"zone"_s, u"sh001"_s);
            form.addQueryItem(u"env"_s, u"prod"_s);
            form.addQueryItem(u"appid"_s, appid);
            form.addQueryItem(u"hostname"_s, host);
            form.addQueryItem(u"status"_s, u"1"_s);
            form.addQueryItem(u"addrs"_s, u"http://127.0.0.1:8000"_s);
            const ApiResult r = httpPost(nam, server.url(u"/discovery/register"_s), form);
            QCOMPARE(r.code, 0);
        }
        const RegscopeRun run = runRegscope({u"--connect"_s, server.url().toString(), u"--dump"_s,
                                             u"json"_s, u"--deadline"_s, u"20"_s});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject dump = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(dump.value(u"health").toObject().value(u"state").toString(), u"live"_s);
        QStringList ids;
        for (const QJsonValue v : dump.value(u"instances").toArray()) {
            const QJsonObject o = v.toObject();
            ids.append(o.value(u"appid").toString() % u'/' % o.value(u"hostname").toString());
            // Issue 10 #1: the verdict is data. Registered a moment ago, renew interval 30 s:
            // not stale, by the server's own clock.
            QVERIFY2(o.value(u"stale"_s).isBool(), qPrintable(ids.last()));
            QCOMPARE(o.value(u"stale"_s).toBool(), false);
            QVERIFY(o.value(u"renew_age_ms"_s).isDouble());
            QVERIFY(o.value(u"renew_age_ms"_s).toInteger() >= 0);
            QVERIFY(o.value(u"renew_age_ms"_s).toInteger() < 30'000);
            QVERIFY(o.value(u"observed_at_ms"_s).toInteger() > 0);
        }
        QCOMPARE(ids, (QStringList{u"payments.api/node-1"_s, u"payments.api/node-2"_s,
                                   u"users.api/node-9"_s}));
    }

    void unreachableServerIsExitThreeWithAReason() {
        QTcpServer probe; // a loopback port that nobody listens on once closed
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close();
        const RegscopeRun run = runRegscope({u"--connect"_s, u"http://127.0.0.1:%1"_s.arg(port),
                                             u"--dump"_s, u"json"_s, u"--deadline"_s, u"5"_s});
        QCOMPARE(run.exitCode, 3);
        QVERIFY(run.out.isEmpty());
        QVERIFY2(run.err.contains("cannot reach"), run.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestDumpDiscovery)
#include "tst_dump_discovery.moc"
