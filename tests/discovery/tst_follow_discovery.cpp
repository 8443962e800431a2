// `regscope --connect http://… --follow jsonl` against the real regscope-discoveryd: the lines,
// replayed in order, equal the server's /discovery/fetch/all through registrations, cancels
// and re-registrations, and through the server dying and a new one on the same port (the
// reload that implies is marked as a resync).

#include "tests/discovery/DiscoveryTestSupport.h"
#include "tests/support/FollowProcess.h"

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QTcpServer>
#include <QTest>

#include <map>

using namespace Qt::StringLiterals;
using namespace regscope::testing;
using regscope::test::FollowProcess;
using regscope::test::FollowReplay;

namespace {

using Instances = std::map<QString, QStringList>; // appid/hostname -> addrs

quint16 freePort() {
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// The real server on a fixed port, so a new one can take the place of a dead one.
std::unique_ptr<QProcess> startServer(quint16 port) {
    auto p = std::make_unique<QProcess>();
    p->start(discoverydPath(), {u"--listen"_s, u"127.0.0.1:%1"_s.arg(port)});
    if (!p->waitForStarted(10'000) || !p->waitForReadyRead(10'000))
        return nullptr;
    return p;
}

QUrlQuery instanceForm(const QString& appid, const QString& host, const QString& addr = {}) {
    QUrlQuery form;
    form.addQueryItem(u"zone"_s, u"z1"_s);
    form.addQueryItem(u"env"_s, u"prod"_s);
    form.addQueryItem(u"appid"_s, appid);
    form.addQueryItem(u"hostname"_s, host);
    if (!addr.isEmpty()) {
        form.addQueryItem(u"status"_s, u"1"_s);
        form.addQueryItem(u"addrs"_s, addr);
    }
    return form;
}

Instances serverState(QNetworkAccessManager& nam, const QUrl& base) {
    Instances out;
    const ApiResult r = httpGet(nam, base.resolved(QUrl(u"/discovery/fetch/all"_s)));
    const QJsonObject apps = r.data.toObject();
    for (auto it = apps.begin(); it != apps.end(); ++it)
        for (const QJsonValue v : it.value().toArray()) {
            const QJsonObject o = v.toObject();
            QStringList addrs;
            for (const QJsonValue a : o.value(u"addrs").toArray())
                addrs.append(a.toString());
            out[o.value(u"appid").toString() % u'/' % o.value(u"hostname").toString()] = addrs;
        }
    return out;
}

Instances replayState(const FollowReplay& replay) {
    Instances out;
    for (const auto& [id, record] : replay.ofKind(u"instance"_s)) {
        QStringList addrs;
        for (const QJsonValue a : record.value(u"addrs").toArray())
            addrs.append(a.toString());
        out[record.value(u"appid").toString() % u'/' % record.value(u"hostname").toString()] =
            addrs;
    }
    return out;
}

} // namespace

class TestFollowDiscovery : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void replayEqualsServerThroughChurnAndRestart() {
        const quint16 port = freePort();
        auto server = startServer(port);
        QVERIFY(server);
        const QUrl base(u"http://127.0.0.1:%1"_s.arg(port));
        QNetworkAccessManager nam;
        const auto reg = [&](const QString& app, const QString& host, const QString& addr) {
            return httpPost(nam, base.resolved(QUrl(u"/discovery/register"_s)),
                            instanceForm(app, host, addr))
                .code;
        };
        for (int i = 0; i < 5; ++i)
            QCOMPARE(reg(u"pay.api"_s, u"node-%1"_s.arg(i), u"http://127.0.0.1:%1"_s.arg(9000 + i)),
                     0);

        FollowProcess follow({u"--connect"_s, base.toString(), u"--deadline"_s, u"20"_s});
        QVERIFY(follow.waitSynced());
        FollowReplay& replay = follow.replay();
        QCOMPARE(replay.snapshotUpserts, 5);
        const QJsonObject first = replay.lines.first();
        QCOMPARE(first.value(u"kind").toString(), u"instance"_s);
        QVERIFY(first.value(u"key").toString().startsWith(u"pay.api/node-"_s)); // appid/hostname

        // Churn: new apps and instances, cancels, a re-registration with a new address.
        for (int i = 0; i < 10; ++i)
            QCOMPARE(reg(i % 2 ? u"users.api"_s : u"mail.api"_s, u"h%1"_s.arg(i),
                         u"http://127.0.0.1:%1"_s.arg(9100 + i)),
                     0);
        for (int i = 0; i < 4; ++i)
            QCOMPARE(httpPost(nam, base.resolved(QUrl(u"/discovery/cancel"_s)),
                              instanceForm(u"pay.api"_s, u"node-%1"_s.arg(i)))
                         .code,
                     0);
        QCOMPARE(reg(u"mail.api"_s, u"h0"_s, u"http://127.0.0.1:9999"_s), 0);
        Instances want = serverState(nam, base);
        QCOMPARE(want.size(), size_t(11));
        QVERIFY2(follow.waitFor([&] { return replayState(replay) == want; }, 15'000),
                 qPrintable(u"replay %1 instances, server %2"_s.arg(replayState(replay).size())
                                .arg(want.size())));

        // The server dies; a new one (knowing none of the old instances) takes its port.
        server->kill();
        server->waitForFinished(5000);
        QVERIFY(follow.waitFor([&] { return replay.health.contains(u"down"_s); }, 10'000));
        server = startServer(port);
        QVERIFY(server);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(reg(u"fresh.api"_s, u"f%1"_s.arg(i), u"http://127.0.0.1:%1"_s.arg(9200 + i)),
                     0);
        want = serverState(nam, base);
        QCOMPARE(want.size(), size_t(3));
        QVERIFY2(follow.waitFor([&] { return replayState(replay) == want; }, 15'000),
                 qPrintable(u"replay %1 instances, server %2"_s.arg(replayState(replay).size())
                                .arg(want.size())));
        QVERIFY(replay.resyncs >= 1); // the reload after the reconnect is marked
        QVERIFY(replay.resyncChanges >= 11);
        QCOMPARE(replay.synced, 1);
        QVERIFY2(replay.errors.isEmpty(), qPrintable(replay.errors.join(u'\n')));
        QCOMPARE(follow.stop(SIGTERM), 0);
        server->kill();
        server->waitForFinished(5000);
    }

    void serverNotThereIsExitThree() {
        FollowProcess follow(
            {u"--connect"_s, u"http://127.0.0.1:%1"_s.arg(freePort()), u"--deadline"_s, u"2"_s});
        QCOMPARE(follow.waitExit(15'000), 3);
        QVERIFY(follow.replay().lines.isEmpty());
        QVERIFY2(follow.stderrText().contains("cannot reach"), follow.stderrText().constData());
    }
};

QTEST_GUILESS_MAIN(TestFollowDiscovery)
#include "tst_follow_discovery.moc"
