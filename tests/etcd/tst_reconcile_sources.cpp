// Several sources at once, headless: a real regscope-discoveryd and a real etcd (services
// layout) hold overlapping fleets; `regscope --connect A --connect B --dump json` finds the
// drift both ways and names the fields. A source that cannot be reached is dumped with its
// health and leaves the other's content in the output (exit 3).

#include "EtcdProcess.h"
#include "tests/discovery/DiscoveryTestSupport.h"
#include "tests/support/RunRegscope.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QTcpServer>
#include <QTest>
#include <QUrlQuery>

using namespace Qt::StringLiterals;
using namespace regscope::test;
using namespace regscope::testing;

namespace {

void registerInstance(QNetworkAccessManager& nam, DiscoverydProcess& server, const QString& appid,
                      const QString& host, int port, const QString& version) {
    QUrlQuery form;
    form.addQueryItem(u"zone"_s, u"z1"_s);
    form.addQueryItem(u"env"_s, u"prod"_s);
    form.addQueryItem(u"appid"_s, appid);
    form.addQueryItem(u"hostname"_s, host);
    form.addQueryItem(u"status"_s, u"1"_s);
    form.addQueryItem(u"version"_s, version);
    form.addQueryItem(u"addrs"_s, u"http://127.0.0.1:%1"_s.arg(port));
    const ApiResult r = httpPost(nam, server.url(u"/discovery/register"_s), form);
    QCOMPARE(r.code, 0);
}

void putInstance(EtcdProcess& etcd, const QString& appid, const QString& host, int port,
                 const QString& version) {
    const QString value = u"{\"zone\":\"z1\",\"env\":\"prod\",\"status\":1,\"version\":\"%1\","
                          u"\"addrs\":[\"http://127.0.0.1:%2\"]}"_s.arg(version)
                              .arg(port);
    QVERIFY(etcd.etcdctl({u"put"_s, u"/services/%1/%2"_s.arg(appid, host), value}));
}

QJsonObject findingFor(const QJsonArray& findings, const QString& kind, const QString& appid) {
    for (const QJsonValue& f : findings)
        if (f[u"kind"].toString() == kind && f[u"appid"].toString() == appid)
            return f.toObject();
    return {};
}

} // namespace

class TestReconcileSources : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void driftIsFoundBothWays() {
        DiscoverydProcess server;
        QVERIFY(server.start());
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        QNetworkAccessManager nam;
        registerInstance(nam, server, u"pay"_s, u"h1"_s, 9001, u"1.0"_s);
        registerInstance(nam, server, u"pay"_s, u"h2"_s, 9002, u"1.0"_s);
        registerInstance(nam, server, u"users"_s, u"h3"_s, 9003, u"1.0"_s);
        putInstance(etcd, u"pay"_s, u"h1"_s, 9001, u"1.0"_s);
        putInstance(etcd, u"pay"_s, u"h2"_s, 9002, u"1.1"_s); // migrated ahead
        putInstance(etcd, u"orders"_s, u"h4"_s, 9004, u"3.0"_s);

        const QString discovery = server.url(QString()).toString();
        const QString etcdUrl = etcd.etcdUrl(u"/services/"_s) + u"?services=/services/"_s;
        const RegscopeRun run = runRegscope({u"--connect"_s, discovery, u"--connect"_s, etcdUrl,
                                             u"--dump"_s, u"json"_s, u"--deadline"_s, u"20"_s});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject dump = QJsonDocument::fromJson(run.out).object();
        const QJsonArray sources = dump.value(u"sources").toArray();
        QCOMPARE(sources.size(), 2);
        QCOMPARE(sources[0][u"source"].toString(), discovery);
        QCOMPARE(sources[0][u"instances"].toArray().size(), 3);
        QCOMPARE(sources[1][u"instances"].toArray().size(), 3);

        const QJsonObject rec = dump.value(u"reconciliation").toObject();
        QCOMPARE(rec.value(u"matched").toInt(), 2);
        const QJsonArray findings = rec.value(u"findings").toArray();
        QCOMPARE(findings.size(), 3);
        const QJsonObject onlyA = findingFor(findings, u"only_in_a"_s, u"users"_s);
        QCOMPARE(onlyA[u"hostname"].toString(), u"h3"_s);
        QCOMPARE(onlyA[u"a"].toString(), discovery);
        const QJsonObject onlyB = findingFor(findings, u"only_in_b"_s, u"orders"_s);
        QCOMPARE(onlyB[u"hostname"].toString(), u"h4"_s);
        QCOMPARE(onlyB[u"b"].toString(), etcdUrl);
        const QJsonObject differs = findingFor(findings, u"differs"_s, u"pay"_s);
        QCOMPARE(differs[u"hostname"].toString(), u"h2"_s);
        const QJsonArray fields = differs[u"fields"].toArray();
        QCOMPARE(fields.size(), 1);
        QCOMPARE(fields[0][u"field"].toString(), u"version"_s);
        QCOMPARE(fields[0][u"a"].toString(), u"1.0"_s);
        QCOMPARE(fields[0][u"b"].toString(), u"1.1"_s);
    }

    void aSourceThatIsDownLeavesTheOthers() {
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        putInstance(etcd, u"pay"_s, u"h1"_s, 9001, u"1.0"_s);
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const QString nobody = u"http://127.0.0.1:%1"_s.arg(closed.serverPort());
        closed.close(); // nothing listens there now

        const QString etcdUrl = etcd.etcdUrl(u"/services/"_s) + u"?services=/services/"_s;
        const RegscopeRun run = runRegscope({u"--connect"_s, nobody, u"--connect"_s, etcdUrl,
                                             u"--dump"_s, u"json"_s, u"--deadline"_s, u"5"_s});
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains(nobody.toUtf8()), run.err.constData());
        const QJsonArray sources =
            QJsonDocument::fromJson(run.out).object().value(u"sources").toArray();
        QCOMPARE(sources.size(), 2);
        QVERIFY(sources[0][u"health"][u"state"].toString() != u"live");
        QCOMPARE(sources[1][u"instances"].toArray().size(), 1);
        QCOMPARE(sources[1][u"health"][u"state"].toString(), u"live"_s);
    }
};

QTEST_GUILESS_MAIN(TestReconcileSources)
#include "tst_reconcile_sources.moc"
