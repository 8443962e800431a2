// `regscope --dump json --probe` against the real regscope-discoveryd and real registrators
// whose instances register addresses of real loopback listeners: every instance carries a
// probe object with the verdict of what is really at its address. Without --probe there is
// no probe object at all (off by default).

#include "tests/discovery/DiscoveryTestSupport.h"
#include "tests/probe/ProbeListeners.h"
#include "tests/support/RunRegscope.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QTest>
#include <QUrlQuery>

#include <map>

using namespace Qt::StringLiterals;
using namespace regscope::testing;
using regscope::test::RegscopeRun;
using regscope::test::runRegscope;

namespace {

QJsonObject instancesByHost(const QByteArray& out) {
    QJsonObject byHost;
    const QJsonObject dump = QJsonDocument::fromJson(out).object();
    for (const QJsonValue v : dump.value(u"instances").toArray())
        byHost.insert(v.toObject().value(u"hostname").toString(), v.toObject());
    return byHost;
}

} // namespace

class TestDumpProbe : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyInstanceCarriesItsVerdict();
    void severalSourcesAreProbedTogether();
};

void TestDumpProbe::everyInstanceCarriesItsVerdict() {
    ListenerHost host;
    const quint16 ok = host.listen(ListenerHost::Kind::Http200);
    const quint16 failing = host.listen(ListenerHost::Kind::Http503);
    const quint16 silent = host.listen(ListenerHost::Kind::Silent);
    const quint16 closed = ListenerHost::closedPort();
    DiscoverydProcess server;
    QVERIFY(server.start());
    const auto addr = [](const char* scheme, quint16 port) {
        return u"%1://127.0.0.1:%2"_s.arg(QLatin1StringView(scheme)).arg(port);
    };
    const std::vector<std::tuple<QString, QStringList, QString>> fleet{
        {u"node-up"_s, {addr("http", ok)}, u"up"_s},
        {u"node-503"_s, {addr("http", failing)}, u"unhealthy"_s},
        {u"node-silent"_s, {addr("http", silent)}, u"timeout"_s},
        {u"node-gone"_s, {addr("http", closed)}, u"refused"_s},
        // Two addresses, one of them refused: the worst speaks for the instance.
        {u"node-half"_s, {addr("http", ok), addr("tcp", closed)}, u"refused"_s},
    };
    std::vector<std::unique_ptr<QProcess>> registrators;
    for (const auto& [hostname, addrs, want] : fleet) {
        RegistratorSpec spec;
        spec.appid = u"probe.demo"_s;
        spec.hostname = hostname;
        spec.addrs = addrs;
        registrators.push_back(startRegistrator(server.url(), spec));
    }
    QNetworkAccessManager nam;
    QTRY_VERIFY_WITH_TIMEOUT(
        httpGet(nam, server.url(u"/discovery/fetch?appid=probe.demo&env=prod&status=1"_s))
                .raw.count("\"hostname\"") == qsizetype(fleet.size()),
        15'000);

    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    const RegscopeRun run = runRegscope({u"--connect"_s, server.url().toString(), u"--dump"_s,
                                         u"json"_s, u"--probe"_s, u"--probe-options"_s,
                                         u"timeout=0.5,path=/health"_s, u"--deadline"_s, u"20"_s});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QJsonObject byHost = instancesByHost(run.out);
    QCOMPARE(byHost.size(), qsizetype(fleet.size()));
    for (const auto& [hostname, addrs, want] : fleet) {
        const QJsonObject probe = byHost.value(hostname).toObject().value(u"probe"_s).toObject();
        QVERIFY2(!probe.isEmpty(), qPrintable(hostname));
        QVERIFY2(probe.value(u"state"_s).toString() == want,
                 qPrintable(hostname + u": "_s + QString::fromUtf8(QJsonDocument(probe).toJson())));
        QVERIFY(probe.value(u"latency_ms"_s).isDouble());
        const QDateTime at =
            QDateTime::fromString(probe.value(u"at"_s).toString(), Qt::ISODateWithMs);
        QVERIFY2(at.isValid() && at.toMSecsSinceEpoch() >= before - 1000,
                 qPrintable(probe.value(u"at"_s).toString()));
        QVERIFY(probe.value(u"detail"_s).isString());
        QCOMPARE(probe.value(u"addrs"_s).toArray().size(), addrs.size());
    }
    QVERIFY(host.paths().contains("/health"));

    // Off by default: the same dump without --probe probes nothing and says nothing.
    const int acceptedBefore = host.accepted();
    const RegscopeRun plain = runRegscope({u"--connect"_s, server.url().toString(), u"--dump"_s,
                                           u"json"_s, u"--deadline"_s, u"20"_s});
    QVERIFY2(plain.exitCode == 0, plain.err.constData());
    for (const QJsonValue v : instancesByHost(plain.out))
        QVERIFY(!v.toObject().contains(u"probe"_s));
    QCOMPARE(host.accepted(), acceptedBefore);
    // A bad --probe-options is a usage error.
    QCOMPARE(runRegscope({u"--dump"_s, u"json"_s, u"--probe"_s, u"--probe-options"_s, u"rate=0"_s})
                 .exitCode,
             2);
}

// --connect A --connect B --dump json --probe: each source's instances carry their verdicts
// (the bounds shared among the sources), and the reconciliation follows.
void TestDumpProbe::severalSourcesAreProbedTogether() {
    ListenerHost host;
    const quint16 ok = host.listen(ListenerHost::Kind::Http200);
    const quint16 failing = host.listen(ListenerHost::Kind::Http503);
    const quint16 closed = ListenerHost::closedPort();
    DiscoverydProcess a;
    DiscoverydProcess b;
    QVERIFY(a.start());
    QVERIFY(b.start());
    QNetworkAccessManager nam;
    const auto add = [&nam](DiscoverydProcess& server, const QString& hostname, quint16 port) {
        QUrlQuery form;
        for (const auto& [k, v] : {std::pair{u"zone"_s, u"z1"_s},
                                   {u"env"_s, u"prod"_s},
                                   {u"appid"_s, u"probe.demo"_s},
                                   {u"hostname"_s, hostname},
                                   {u"status"_s, u"1"_s},
                                   {u"addrs"_s, u"http://127.0.0.1:%1"_s.arg(port)}})
            form.addQueryItem(k, v);
        return httpPost(nam, server.url(u"/discovery/register"_s), form).code == 0;
    };
    QVERIFY(add(a, u"a-up"_s, ok));
    QVERIFY(add(a, u"a-gone"_s, closed));
    QVERIFY(add(b, u"b-503"_s, failing));
    QVERIFY(add(b, u"a-up"_s, ok));

    const RegscopeRun run =
        runRegscope({u"--connect"_s, a.url().toString(), u"--connect"_s, b.url().toString(),
                     u"--dump"_s, u"json"_s, u"--probe"_s, u"--probe-options"_s, u"timeout=0.5"_s,
                     u"--deadline"_s, u"20"_s});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QJsonObject doc = QJsonDocument::fromJson(run.out).object();
    const QJsonArray sources = doc.value(u"sources"_s).toArray();
    QCOMPARE(sources.size(), 2);
    const std::map<QString, QString> want[] = {
        {{u"a-up"_s, u"up"_s}, {u"a-gone"_s, u"refused"_s}},
        {{u"b-503"_s, u"unhealthy"_s}, {u"a-up"_s, u"up"_s}}};
    for (int i = 0; i < 2; ++i) {
        const QJsonObject byHost = instancesByHost(QJsonDocument(sources[i].toObject()).toJson());
        QCOMPARE(byHost.size(), qsizetype(want[i].size()));
        for (const auto& [hostname, state] : want[i])
            QCOMPARE(byHost.value(hostname)[u"probe"][u"state"].toString(), state);
    }
    QVERIFY(doc.contains(u"reconciliation"_s));
}

QTEST_GUILESS_MAIN(TestDumpProbe)
#include "tst_dump_probe.moc"
