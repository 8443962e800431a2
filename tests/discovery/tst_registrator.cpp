// regscope-registrator against the real regscope-discoveryd: a fleet registers and renews;
// SIGKILLed members turn stale and are then evicted; SIGTERM and a service exit cancel at
// once; a forgotten instance registers again; a server that goes away and comes back.

#include "tests/discovery/DiscoveryTestSupport.h"

#include <QJsonArray>
#include <QTcpServer>
#include <QTest>

#include <vector>

using namespace Qt::StringLiterals;
using namespace regscope::testing;

namespace {

struct Seen {
    QMap<QString, qint64> renewByHost; // hostname → renew_timestamp
    qint64 now = 0;
};

Seen fetchAll(QNetworkAccessManager& nam, const DiscoverydProcess& server) {
    Seen seen;
    const auto all = httpGet(nam, server.url(u"/discovery/fetch/all"_s)).data.toObject();
    for (const auto& list : all)
        for (const auto& v : list.toArray()) {
            const auto o = v.toObject();
            seen.renewByHost.insert(o.value(u"hostname"_s).toString(),
                                    o.value(u"renew_timestamp"_s).toInteger());
        }
    seen.now = httpGet(nam, server.url(u"/status"_s)).data.toObject().value(u"now"_s).toInteger();
    return seen;
}

QJsonObject status(QNetworkAccessManager& nam, const DiscoverydProcess& server) {
    return httpGet(nam, server.url(u"/status"_s)).data.toObject();
}

} // namespace

class TestRegistrator : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fleetKilledTurnsStaleThenEvicted();
    void sigtermCancelsAtOnce();
    void serviceExitCancelsAndPassesStatus();
    void registersAgainWhenForgotten();
    void retriesWhileServerIsDown();

private:
    QNetworkAccessManager m_nam;
};

void TestRegistrator::fleetKilledTurnsStaleThenEvicted() {
    DiscoverydProcess server;
    QVERIFY(
        server.start({u"--renew-interval"_s, u"100ms"_s, u"--evict-interval"_s, u"200ms"_s,
                      u"--evict-threshold"_s, u"1500ms"_s, u"--percent-threshold"_s, u"0.5"_s}));
    std::vector<std::unique_ptr<QProcess>> fleet;
    for (int i = 0; i < 10; ++i)
        fleet.push_back(
            startRegistrator(server.url(), {u"app.fleet%1"_s.arg(i % 3), u"node-%1"_s.arg(i),
                                            u"z1"_s, u"prod"_s, u"100ms"_s, u"600"_s}));
    QTRY_COMPARE_WITH_TIMEOUT(fetchAll(m_nam, server).renewByHost.size(), 10, 10'000);

    const QStringList killed{u"node-1"_s, u"node-4"_s, u"node-8"_s};
    for (const int i : {1, 4, 8}) {
        fleet[i]->kill(); // SIGKILL: no cancel
        QVERIFY(fleet[i]->waitForFinished(5000));
    }
    // Stale first: still registered, their last renew falling behind (> 3 renew intervals).
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const auto seen = fetchAll(m_nam, server);
            for (const auto& h : killed)
                if (!seen.renewByHost.contains(h) ||
                    seen.now - seen.renewByHost.value(h) < 300'000'000)
                    return false;
            return true;
        }(),
        10'000);
    // Then evicted, while the survivors stay.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const auto seen = fetchAll(m_nam, server);
            for (const auto& h : killed)
                if (seen.renewByHost.contains(h))
                    return false;
            return seen.renewByHost.size() == 7;
        }(),
        15'000);
    const auto s = status(m_nam, server);
    QCOMPARE(s.value(u"evictions"_s).toInt(), 3);
    QCOMPARE(s.value(u"cancels"_s).toInt(), 0);
    for (auto& p : fleet)
        if (p->state() != QProcess::NotRunning) {
            p->terminate();
            QVERIFY(p->waitForFinished(10'000));
        }
    QTRY_COMPARE_WITH_TIMEOUT(fetchAll(m_nam, server).renewByHost.size(), 0, 10'000);
    QCOMPARE(status(m_nam, server).value(u"cancels"_s).toInt(), 7);
}

void TestRegistrator::sigtermCancelsAtOnce() {
    DiscoverydProcess server;
    QVERIFY(server.start());
    auto p = startRegistrator(server.url(), {u"app.term"_s, u"t1"_s});
    QTRY_COMPARE_WITH_TIMEOUT(fetchAll(m_nam, server).renewByHost.size(), 1, 10'000);
    p->terminate();
    QVERIFY(p->waitForFinished(10'000));
    // The service (sleep) died of the forwarded SIGTERM: 128 + 15.
    QCOMPARE(p->exitStatus(), QProcess::NormalExit);
    QCOMPARE(p->exitCode(), 128 + 15);
    QCOMPARE(fetchAll(m_nam, server).renewByHost.size(), 0);
    QCOMPARE(status(m_nam, server).value(u"cancels"_s).toInt(), 1);
}

void TestRegistrator::serviceExitCancelsAndPassesStatus() {
    DiscoverydProcess server;
    QVERIFY(server.start());
    // The service waits for a line on stdin, then exits 3: the test decides when.
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(registratorPath(),
            {u"--discovery"_s, server.url().toString(), u"--appid"_s, u"app.exit"_s, u"--env"_s,
             u"prod"_s, u"--zone"_s, u"z1"_s, u"--addr"_s, u"http://127.0.0.1:1"_s,
             u"--renew-interval"_s, u"100ms"_s, u"--"_s, u"sh"_s, u"-c"_s, u"read x; exit 3"_s});
    QVERIFY(p.waitForStarted(5000));
    QTRY_COMPARE_WITH_TIMEOUT(fetchAll(m_nam, server).renewByHost.size(), 1, 10'000);
    p.write("go\n");
    p.closeWriteChannel();
    QVERIFY(p.waitForFinished(10'000));
    QCOMPARE(p.exitCode(), 3);
    QCOMPARE(fetchAll(m_nam, server).renewByHost.size(), 0);
    QCOMPARE(status(m_nam, server).value(u"cancels"_s).toInt(), 1);
}

void TestRegistrator::registersAgainWhenForgotten() {
    DiscoverydProcess server;
    QVERIFY(server.start());
    auto p = startRegistrator(server.url(), {u"app.again"_s, u"a1"_s});
    QTRY_COMPARE_WITH_TIMEOUT(fetchAll(m_nam, server).renewByHost.size(), 1, 10'000);
    // Someone else cancels it: the next renew gets -404 and the registrator registers again.
    QUrlQuery f;
    f.addQueryItem(u"zone"_s, u"z1"_s);
    f.addQueryItem(u"env"_s, u"prod"_s);
    f.addQueryItem(u"appid"_s, u"app.again"_s);
    f.addQueryItem(u"hostname"_s, u"a1"_s);
    QCOMPARE(httpPost(m_nam, server.url(u"/discovery/cancel"_s), f).code, 0);
    QTRY_COMPARE_WITH_TIMEOUT(status(m_nam, server).value(u"registers"_s).toInt(), 2, 10'000);
    QCOMPARE(fetchAll(m_nam, server).renewByHost.size(), 1);
    p->terminate();
    QVERIFY(p->waitForFinished(10'000));
}

void TestRegistrator::retriesWhileServerIsDown() {
    // A port nobody listens on yet (bound once to find it free, then released).
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    const QUrl url(u"http://127.0.0.1:%1"_s.arg(port));
    auto p = startRegistrator(url, {u"app.later"_s, u"l1"_s});
    QProcess* proc = p.get();
    // It keeps running (retrying) although nothing answers.
    QVERIFY(!proc->waitForFinished(300));
    DiscoverydProcess server;
    QVERIFY(server.start({u"--listen"_s, u"127.0.0.1:%1"_s.arg(port)}));
    QTRY_COMPARE_WITH_TIMEOUT(fetchAll(m_nam, server).renewByHost.size(), 1, 15'000);
    // The server dies and comes back empty on the same port: renew gets -404, re-register.
    server.kill();
    DiscoverydProcess again;
    QVERIFY(again.start({u"--listen"_s, u"127.0.0.1:%1"_s.arg(port)}));
    QTRY_COMPARE_WITH_TIMEOUT(fetchAll(m_nam, again).renewByHost.size(), 1, 15'000);
    proc->terminate();
    QVERIFY(proc->waitForFinished(10'000));
    QCOMPARE(fetchAll(m_nam, again).renewByHost.size(), 0);
}

QTEST_GUILESS_MAIN(TestRegistrator)
#include "tst_registrator.moc"
