// DiscoveryConnector against the real regscope-discoveryd and a registrator fleet: the
// snapshot, changes through long-polls, the timeline (register / cancel / evict), metrics,
// and the error states: a server killed mid-poll, one that answers garbage, one that answers
// 10 MB (a tiny misbehaving loopback server: a real socket, not a mock of our code).

#include "connectors/discovery/DiscoveryConnector.h"
#include "tests/discovery/DiscoveryTestSupport.h"

#include <QElapsedTimer>
#include <QHash>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTime>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::testing;

namespace {

// Applies the connector's events the way the store would, on the test thread.
class Collector : public QObject {
    Q_OBJECT
public:
    explicit Collector(Connector& c) {
        connect(&c, &Connector::eventsReady, this, &Collector::apply, Qt::QueuedConnection);
    }
    QHash<QString, InstanceRecord> instances;
    QList<SourceHealth> health;
    QList<TimelineEvent> timeline;
    QList<MetricsSample> metrics;
    int snapshots = 0;

    HealthState state() const {
        return health.isEmpty() ? HealthState::Connecting : health.last().state;
    }
    int timelineCount(const QString& category, const QString& subjectPart) const {
        int n = 0;
        for (const auto& t : timeline)
            if (t.category == category && t.subject.contains(subjectPart))
                ++n;
        return n;
    }
    double metric(const QString& name) const {
        if (metrics.isEmpty())
            return -1;
        for (const auto& p : metrics.last().points)
            if (p.name == name)
                return p.value;
        return -1;
    }

private Q_SLOTS:
    void apply(regscope::EventBatchPtr batch) {
        for (const auto& e : *batch) {
            if (const auto* s = std::get_if<SnapshotEvent>(&e)) {
                ++snapshots;
                instances.clear();
                for (const auto& r : s->records)
                    instances.insert(recordId(r), std::get<InstanceRecord>(r));
            } else if (const auto* u = std::get_if<UpsertEvent>(&e)) {
                instances.insert(recordId(u->record), std::get<InstanceRecord>(u->record));
            } else if (const auto* r = std::get_if<RemoveEvent>(&e)) {
                instances.remove(r->id);
            } else if (const auto* h = std::get_if<SourceHealth>(&e)) {
                if (qEnvironmentVariableIsSet("REGSCOPE_TEST_TRACE"))
                    qInfo("%s health %s: %s",
                          qPrintable(QTime::currentTime().toString(u"hh:mm:ss.zzz"_s)),
                          qPrintable(toString(h->state)), qPrintable(h->reason));
                health.append(*h);
            } else if (const auto* t = std::get_if<TimelineEvent>(&e)) {
                timeline.append(*t);
            } else if (const auto* m = std::get_if<MetricsSample>(&e)) {
                metrics.append(*m);
            }
        }
    }
};

// Answers every request with a fixed reply: the misbehaving server.
class BadServer : public QObject {
    Q_OBJECT
public:
    explicit BadServer(QByteArray reply)
        : m_reply(std::move(reply)) {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    s->readAll();
                    s->write(m_reply);
                    s->disconnectFromHost();
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
        m_server.listen(QHostAddress::LocalHost, 0);
    }
    QUrl url() const { return QUrl(u"http://127.0.0.1:%1"_s.arg(m_server.serverPort())); }

private:
    QTcpServer m_server;
    QByteArray m_reply;
};

DiscoveryConnector::Options fastOptions() {
    DiscoveryConnector::Options o;
    o.snapshotRefreshMs = 300;
    o.metricsIntervalMs = 200;
    o.requestTimeoutMs = 3000;
    o.backoffMinMs = 100;
    o.backoffMaxMs = 400;
    o.maxReplyBytes = 1024 * 1024;
    return o;
}

} // namespace

class TestDiscoveryConnector : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { registerConnectorMetaTypes(); }
    void followsAFleet();
    void serverKilledMidPollThenBack();
    void retryNowEndsTheBackoff();
    void garbageIsDown();
    void oversizeIsDown_data();
    void oversizeIsDown();
};

void TestDiscoveryConnector::followsAFleet() {
    DiscoverydProcess server;
    QVERIFY(server.start({u"--renew-interval"_s, u"100ms"_s, u"--evict-interval"_s, u"200ms"_s,
                          u"--evict-threshold"_s, u"800ms"_s, u"--percent-threshold"_s, u"0.5"_s,
                          u"--poll-timeout"_s, u"2s"_s}));
    std::vector<std::unique_ptr<QProcess>> fleet;
    for (int i = 0; i < 4; ++i)
        fleet.push_back(startRegistrator(server.url(), {u"app.one"_s, u"n%1"_s.arg(i), u"z1"_s,
                                                        u"prod"_s, u"100ms"_s, u"600"_s}));
    QNetworkAccessManager nam;
    QTRY_COMPARE_WITH_TIMEOUT(
        httpGet(nam, server.url(u"/status"_s)).data.toObject().value(u"instances"_s).toInt(), 4,
        10'000);

    DiscoveryConnector connector(server.url(), fastOptions());
    Collector c(connector);
    connector.start();
    QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(HealthState::Live), 10'000);
    QCOMPARE(c.snapshots, 1);
    QTRY_COMPARE_WITH_TIMEOUT(c.instances.size(), 4, 5000);
    const auto& one = c.instances.value(u"app.one/z1/prod/n0"_s);
    QCOMPARE(one.source, u"discovery"_s);
    QCOMPARE(one.addrs, QStringList{u"http://127.0.0.1:9000"_s});
    QCOMPARE(one.version, u"1.0.0"_s);

    // A new instance of a known app comes through the long-poll.
    fleet.push_back(startRegistrator(
        server.url(), {u"app.one"_s, u"n9"_s, u"z1"_s, u"prod"_s, u"100ms"_s, u"600"_s}));
    QTRY_VERIFY_WITH_TIMEOUT(c.instances.contains(u"app.one/z1/prod/n9"_s), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(c.timelineCount(u"instance-register"_s, u"n9"_s), 1, 5000);
    // A new app is found by the refresh, then followed.
    fleet.push_back(startRegistrator(
        server.url(), {u"app.two"_s, u"m0"_s, u"z2"_s, u"prod"_s, u"100ms"_s, u"600"_s}));
    QTRY_VERIFY_WITH_TIMEOUT(c.instances.contains(u"app.two/z2/prod/m0"_s), 5000);

    // SIGTERM: cancelled at once, reported as a cancel.
    fleet[0]->terminate();
    QVERIFY(fleet[0]->waitForFinished(10'000));
    QTRY_VERIFY_WITH_TIMEOUT(!c.instances.contains(u"app.one/z1/prod/n0"_s), 5000);
    QCOMPARE(c.timelineCount(u"instance-cancel"_s, u"n0"_s), 1);

    // SIGKILL: its renew stops (fresh renew times come with the refresh), then evicted.
    fleet[1]->kill();
    QVERIFY(fleet[1]->waitForFinished(5000));
    QTRY_VERIFY_WITH_TIMEOUT(!c.instances.contains(u"app.one/z1/prod/n1"_s), 10'000);
    QCOMPARE(c.timelineCount(u"instance-evict"_s, u"n1"_s), 1);

    // Metrics from /metrics.
    QTRY_VERIFY_WITH_TIMEOUT(c.metric(u"discovery_evictions_total"_s) >= 1, 5000);
    QVERIFY(c.metric(u"discovery_instances"_s) >= 1);
    QCOMPARE(int(c.state()), int(HealthState::Live));
    connector.stop();
    for (auto& p : fleet)
        if (p->state() != QProcess::NotRunning) {
            p->terminate();
            p->waitForFinished(10'000);
        }
}

void TestDiscoveryConnector::serverKilledMidPollThenBack() {
    auto server = std::make_unique<DiscoverydProcess>();
    QVERIFY(server->start({u"--poll-timeout"_s, u"30s"_s}));
    const QString address = server->address();
    QNetworkAccessManager nam;
    QUrlQuery f;
    for (const auto& [k, v] : {std::pair{u"zone"_s, u"z1"_s},
                               {u"env"_s, u"prod"_s},
                               {u"appid"_s, u"app.k"_s},
                               {u"hostname"_s, u"k1"_s},
                               {u"status"_s, u"1"_s},
                               {u"addrs"_s, u"http://1.2.3.4:5"_s}})
        f.addQueryItem(k, v);
    QCOMPARE(httpPost(nam, server->url(u"/discovery/register"_s), f).code, 0);

    DiscoveryConnector connector(server->url(), fastOptions());
    Collector c(connector);
    connector.start();
    QTRY_COMPARE_WITH_TIMEOUT(c.instances.size(), 1, 10'000);
    // Its poll is parked now (30 s wait); kill the server under it.
    QTRY_COMPARE_WITH_TIMEOUT(
        httpGet(nam, server->url(u"/status"_s)).data.toObject().value(u"parked_polls"_s).toInt(), 1,
        5000);
    server->kill();
    QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(HealthState::Down), 10'000);
    QVERIFY(!c.health.last().reason.isEmpty());
    // Back on the same port (empty): reconnects, and the instance is reported gone.
    server = std::make_unique<DiscoverydProcess>();
    QVERIFY(server->start({u"--listen"_s, address}));
    QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(HealthState::Live), 10'000);
    QTRY_COMPARE_WITH_TIMEOUT(c.instances.size(), 0, 5000);
    connector.stop();
}

// The user's "Retry now": with a backoff far longer than the test, the server back on its
// port is found at once; the default backoff is capped at 5 s for the source on screen.
void TestDiscoveryConnector::retryNowEndsTheBackoff() {
    QCOMPARE(DiscoveryConnector::Options().backoffMaxMs, 5000);
    auto server = std::make_unique<DiscoverydProcess>();
    QVERIFY(server->start());
    const QString address = server->address();
    DiscoveryConnector::Options o = fastOptions();
    o.backoffMinMs = 60'000;
    o.backoffMaxMs = 60'000;
    DiscoveryConnector connector(server->url(), o);
    QVERIFY(connector.controls() && connector.controls()->canRetryNow());
    Collector c(connector);
    connector.start();
    QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(HealthState::Live), 10'000);
    server->kill();
    QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(HealthState::Down), 10'000);
    server = std::make_unique<DiscoverydProcess>();
    QVERIFY(server->start({u"--listen"_s, address}));
    QCOMPARE(int(c.state()), int(HealthState::Down)); // waiting out its minute
    QElapsedTimer t;
    t.start();
    connector.controls()->retryNow();
    QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(HealthState::Live), 5000);
    QVERIFY2(t.elapsed() < 3000, qPrintable(QString::number(t.elapsed())));
    t.restart();
    connector.stop();
    QVERIFY2(t.elapsed() < kConnectorStopDeadlineMs, qPrintable(QString::number(t.elapsed())));
}

void TestDiscoveryConnector::garbageIsDown() {
    BadServer bad("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n"
                  "Connection: close\r\n\r\n{not json!!}");
    DiscoveryConnector connector(bad.url(), fastOptions());
    Collector c(connector);
    connector.start();
    QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(HealthState::Down), 10'000);
    QVERIFY(!c.health.last().reason.isEmpty());
    // It keeps trying (Connecting again) and stays responsive; stop() returns promptly.
    QTRY_VERIFY_WITH_TIMEOUT(c.health.size() >= 4, 10'000);
    connector.stop();
}

void TestDiscoveryConnector::oversizeIsDown_data() {
    QTest::addColumn<bool>("withLength");
    QTest::newRow("content-length") << true;
    QTest::newRow("streamed") << false;
}

void TestDiscoveryConnector::oversizeIsDown() {
    QFETCH(bool, withLength);
    const QByteArray body =
        "{\"code\":0,\"data\":{\"a\":\"" + QByteArray(10 * 1024 * 1024, 'x') + "\"}}";
    QByteArray reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n";
    if (withLength)
        reply += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    reply += "\r\n" + body;
    BadServer bad(reply);
    DiscoveryConnector connector(bad.url(), fastOptions());
    Collector c(connector);
    connector.start();
    QTRY_COMPARE_WITH_TIMEOUT(int(c.state()), int(HealthState::Down), 10'000);
    QVERIFY(!c.health.last().reason.isEmpty());
    connector.stop();
}

QTEST_GUILESS_MAIN(TestDiscoveryConnector)
#include "tst_discovery_connector.moc"
