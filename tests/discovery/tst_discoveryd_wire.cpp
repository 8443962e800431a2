// The wire's edges against the real regscope-discoveryd: client timestamps that are out of
// range, names that are not UTF-8, an app whose last instance went (-404), the server's
// identity for restart detection, open vs total connections, HTTP 400 and 431.

#include "tests/discovery/DiscoveryTestSupport.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace regscope::testing;

namespace {

QUrlQuery instanceForm(const QString& appid, const QString& host) {
    QUrlQuery q;
    for (const auto& [k, v] : {std::pair{u"zone"_s, u"z1"_s},
                               {u"env"_s, u"prod"_s},
                               {u"appid"_s, appid},
                               {u"hostname"_s, host},
                               {u"status"_s, u"1"_s},
                               {u"addrs"_s, u"http://127.0.0.1:8000"_s}})
        q.addQueryItem(k, v);
    return q;
}

QUrlQuery keyForm(const QString& appid, const QString& host) {
    QUrlQuery q;
    for (const auto& [k, v] : {std::pair{u"zone"_s, u"z1"_s},
                               {u"env"_s, u"prod"_s},
                               {u"appid"_s, appid},
                               {u"hostname"_s, host}})
        q.addQueryItem(k, v);
    return q;
}

int connectTo(quint16 port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

// Sends raw bytes, reads until the server closes (10 s at most): what came back.
QByteArray exchange(quint16 port, const QByteArray& request) {
    const int fd = connectTo(port);
    if (fd < 0)
        return {};
    ::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL);
    QByteArray out;
    char buf[4096];
    for (;;) {
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        out.append(buf, n);
    }
    ::close(fd);
    return out;
}

QJsonObject bodyOf(const QByteArray& response) {
    return QJsonDocument::fromJson(response.mid(response.indexOf("\r\n\r\n") + 4)).object();
}

} // namespace

class TestDiscoverydWire : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void outOfRangeTimestampsAreRefused_data();
    void outOfRangeTimestampsAreRefused();
    void stampsStayStrictlyIncreasing();
    void namesMustBeUtf8();
    void emptiedAppIsNotFound();
    void serverIdentity();
    void openConnectionsAndTotal();
    void malformedRequestIs400();
    void headerOverLimitIs431();

private:
    ApiResult get(const QString& pathAndQuery) {
        return httpGet(m_nam, QUrl(m_server.url().toString() + pathAndQuery));
    }
    ApiResult post(const QString& path, const QUrlQuery& f) {
        return httpPost(m_nam, m_server.url(path), f);
    }
    qint64 latestOf(const QString& appid) {
        return get(u"/discovery/poll?env=prod&hostname=me&latest_timestamp=0&appid="_s + appid)
            .data.toObject()
            .value(u"latest_timestamp"_s)
            .toInteger();
    }
    quint16 port() const { return quint16(m_server.address().section(u':', -1).toUInt()); }

    DiscoverydProcess m_server;
    QNetworkAccessManager m_nam;
};

void TestDiscoverydWire::initTestCase() {
    QVERIFY(m_server.start({u"--max-header"_s, u"2048"_s}));
}

void TestDiscoverydWire::outOfRangeTimestampsAreRefused_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("param");
    QTest::addColumn<QString>("value");
    const QString ahead = QString::number(QDateTime::currentMSecsSinceEpoch() * 1'000'000 +
                                          qint64(3) * 3'600'000'000'000);
    for (const auto& path : {u"/discovery/register"_s, u"/discovery/cancel"_s}) {
        QTest::addRow("%s INT64_MAX", qPrintable(path))
            << path << u"latest_timestamp"_s << u"9223372036854775807"_s;
        QTest::addRow("%s negative", qPrintable(path)) << path << u"latest_timestamp"_s << u"-1"_s;
        QTest::addRow("%s 3h ahead", qPrintable(path)) << path << u"latest_timestamp"_s << ahead;
    }
    QTest::newRow("register dirty INT64_MAX")
        << u"/discovery/register"_s << u"dirty_timestamp"_s << u"9223372036854775807"_s;
    QTest::newRow("renew dirty negative")
        << u"/discovery/renew"_s << u"dirty_timestamp"_s << u"-7"_s;
    QTest::newRow("register latest overflows int64")
        << u"/discovery/register"_s << u"latest_timestamp"_s << u"9223372036854775808"_s;
}

void TestDiscoverydWire::outOfRangeTimestampsAreRefused() {
    QFETCH(QString, path);
    QFETCH(QString, param);
    QFETCH(QString, value);
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"ts.app"_s, u"h1"_s)).code, 0);
    const qint64 before = latestOf(u"ts.app"_s);
    auto f = path == u"/discovery/register"_s ? instanceForm(u"ts.app"_s, u"h2"_s)
                                              : keyForm(u"ts.app"_s, u"h1"_s);
    f.addQueryItem(param, value);
    if (path == u"/discovery/renew"_s)
        f.addQueryItem(u"replication"_s, u"true"_s);
    const auto r = post(path, f);
    QCOMPARE(r.code, -400);
    QVERIFY2(r.message.contains(param), qPrintable(r.message)); // names the parameter
    QCOMPARE(latestOf(u"ts.app"_s), before);                    // nothing changed
    QCOMPARE(post(u"/discovery/renew"_s, keyForm(u"ts.app"_s, u"h1"_s)).code, 0);
    QCOMPARE(post(u"/discovery/renew"_s, keyForm(u"ts.app"_s, u"h2"_s)).code, -404);
}

void TestDiscoverydWire::stampsStayStrictlyIncreasing() {
    // A client stamping its changes with the past (or 1) never moves the app back.
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"inc.app"_s, u"keep"_s)).code, 0);
    qint64 last = latestOf(u"inc.app"_s);
    for (int i = 0; i < 5; ++i) {
        auto f = instanceForm(u"inc.app"_s, u"h%1"_s.arg(i));
        f.addQueryItem(u"latest_timestamp"_s, u"1"_s);
        QCOMPARE(post(u"/discovery/register"_s, f).code, 0);
        const qint64 afterRegister = latestOf(u"inc.app"_s);
        QVERIFY(afterRegister > last);
        auto c = keyForm(u"inc.app"_s, u"h%1"_s.arg(i));
        c.addQueryItem(u"latest_timestamp"_s, QString::number(last - 1000));
        QCOMPARE(post(u"/discovery/cancel"_s, c).code, 0);
        last = latestOf(u"inc.app"_s);
        QVERIFY(last > afterRegister);
    }
}

void TestDiscoverydWire::namesMustBeUtf8() {
    // Refused, not mangled: a name the server cannot return exactly is not stored at all.
    for (const auto& [param, raw] : {std::pair{"hostname", "h%FF1"},
                                     {"appid", "app%C3"},
                                     {"zone", "z%ED%A0%80"},
                                     {"env", "%C0%AF"}}) {
        QByteArray body = "zone=z1&env=prod&appid=utf.app&hostname=h1&status=1&addrs=http://a:1";
        const QByteArray from = QByteArray(param) + '=';
        const QByteArray to = from + raw + "&ignored=";
        body.replace(from, to);
        const auto r = httpPostRaw(m_nam, m_server.url(u"/discovery/register"_s), body,
                                   "application/x-www-form-urlencoded");
        QCOMPARE(r.code, -400);
        QVERIFY2(r.message.contains(QLatin1StringView(param)) && r.message.contains(u"UTF-8"_s),
                 qPrintable(r.message));
    }
    QCOMPARE(get(u"/discovery/fetch?env=prod&appid=utf.app&status=3"_s).code, -404);
    // Valid UTF-8 comes back byte for byte.
    const QString name = u"h\u00e9-\u4e2d-\U0001F600"_s;
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"utf.app"_s, name)).code, 0);
    const auto r = get(u"/discovery/fetch?env=prod&appid=utf.app&status=3"_s);
    QCOMPARE(r.code, 0);
    QVERIFY(r.raw.contains(name.toUtf8()));
    QCOMPARE(post(u"/discovery/cancel"_s, keyForm(u"utf.app"_s, name)).code, 0);
}

void TestDiscoverydWire::emptiedAppIsNotFound() {
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"gone.app"_s, u"h1"_s)).code, 0);
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"kept.app"_s, u"h1"_s)).code, 0);
    const qint64 stamp = latestOf(u"gone.app"_s);
    QCOMPARE(post(u"/discovery/cancel"_s, keyForm(u"gone.app"_s, u"h1"_s)).code, 0);
    // As the reference server: the app with no instance left is -404 to fetch...
    const auto r = get(u"/discovery/fetch?env=prod&appid=gone.app&status=3"_s);
    QCOMPARE(r.code, -404);
    const auto m = get(u"/discovery/fetchs?env=prod&appid=gone.app&appid=kept.app&status=3"_s);
    QCOMPARE(m.data.toObject().keys(), QStringList{u"kept.app"_s});
    QVERIFY(!get(u"/discovery/fetch/all"_s).data.toObject().contains(u"gone.app"_s));
    // ...while a long-poll that held its old stamp still learns of the removal.
    const auto p = get(u"/discovery/poll?env=prod&appid=gone.app&hostname=me&latest_timestamp="_s +
                       QString::number(stamp));
    QCOMPARE(p.code, 0);
    QVERIFY(p.data.toObject().value(u"latest_timestamp"_s).toInteger() > stamp);
    QVERIFY(p.data.toObject().value(u"instances"_s).toObject().isEmpty());
    // Registering again brings it back.
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"gone.app"_s, u"h2"_s)).code, 0);
    QCOMPARE(get(u"/discovery/fetch?env=prod&appid=gone.app&status=3"_s).code, 0);
}

void TestDiscoverydWire::serverIdentity() {
    const double now = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
    const QString text = QString::fromUtf8(httpGet(m_nam, m_server.url(u"/metrics"_s)).raw);
    const auto start = QRegularExpression(u"^discovery_server_start_time_seconds (\\S+)$"_s,
                                          QRegularExpression::MultilineOption)
                           .match(text);
    QVERIFY2(start.hasMatch(), qPrintable(text));
    const double startTime = start.captured(1).toDouble();
    QVERIFY(startTime > now - 120 && startTime <= now + 1);
    const auto info =
        QRegularExpression(
            u"^discovery_server_info\\{instance_id=\"([0-9a-f]{16})\",version=\"([^\"]+)\"\\} 1$"_s,
            QRegularExpression::MultilineOption)
            .match(text);
    QVERIFY2(info.hasMatch(), qPrintable(text));
    QCOMPARE(info.captured(2), QStringLiteral(REGSCOPE_VERSION_STRING));
    QVERIFY(text.contains(u"\ndiscovery_evictions_total "_s));

    const auto s = get(u"/status"_s).data.toObject();
    QCOMPARE(s.value(u"instance_id"_s).toString(), info.captured(1));
    QVERIFY(qAbs(s.value(u"start_time"_s).toDouble() - startTime) < 0.001);

    // Another process (a restart) is another identity and a later start.
    DiscoverydProcess other;
    QVERIFY(other.start());
    const auto o = httpGet(m_nam, other.url(u"/status"_s)).data.toObject();
    QVERIFY(o.value(u"instance_id"_s).toString() != info.captured(1));
    QVERIFY(o.value(u"start_time"_s).toDouble() >= startTime);
}

void TestDiscoverydWire::openConnectionsAndTotal() {
    const auto before = get(u"/status"_s).data.toObject();
    std::vector<int> fds;
    for (int i = 0; i < 5; ++i)
        fds.push_back(connectTo(port()));
    QTRY_VERIFY_WITH_TIMEOUT(
        get(u"/status"_s).data.toObject().value(u"connections"_s).toInteger() >=
            before.value(u"connections"_s).toInteger() + 5,
        5000);
    for (const int fd : fds)
        ::close(fd);
    QTRY_VERIFY_WITH_TIMEOUT(
        get(u"/status"_s).data.toObject().value(u"connections"_s).toInteger() <=
            before.value(u"connections"_s).toInteger(),
        5000);
    const auto after = get(u"/status"_s).data.toObject();
    QVERIFY(after.value(u"connections_total"_s).toInteger() >=
            before.value(u"connections_total"_s).toInteger() + 5);
    const QString text = QString::fromUtf8(httpGet(m_nam, m_server.url(u"/metrics"_s)).raw);
    QVERIFY(text.contains(u"\ndiscovery_connections_open "_s));
    QVERIFY(text.contains(u"\ndiscovery_connections_total "_s));
}

void TestDiscoverydWire::malformedRequestIs400() {
    const auto before = get(u"/status"_s).data.toObject().value(u"bad_requests"_s).toInteger();
    for (const QByteArray& req :
         {QByteArray("GARBAGE\r\n\r\n"), QByteArray("GET /status HTTP/1.1\r\nBad Header\r\n\r\n"),
          QByteArray("GET /status HTTP/9.9\r\n\r\n"),
          QByteArray("POST /discovery/renew HTTP/1.1\r\nContent-Length: x\r\n\r\n")}) {
        const QByteArray reply = exchange(port(), req);
        QVERIFY2(reply.startsWith("HTTP/1.1 400 "), reply.constData());
        QVERIFY(reply.contains("Connection: close"));
        QCOMPARE(bodyOf(reply).value(u"code"_s).toInt(), -400);
        QVERIFY(bodyOf(reply).value(u"message"_s).toString().contains(u"malformed"_s));
    }
    QCOMPARE(get(u"/status"_s).data.toObject().value(u"bad_requests"_s).toInteger(), before + 4);
}

void TestDiscoverydWire::headerOverLimitIs431() {
    // --max-header 2048 (initTestCase): a 4 KiB header is 431, a 1 KiB one is served.
    const QByteArray big =
        "GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " + QByteArray(4096, 'a') + "\r\n\r\n";
    const QByteArray reply = exchange(port(), big);
    QVERIFY2(reply.startsWith("HTTP/1.1 431 "), reply.left(200).constData());
    QCOMPARE(bodyOf(reply).value(u"code"_s).toInt(), -400);
    QVERIFY(bodyOf(reply).value(u"message"_s).toString().contains(u"--max-header"_s));
    const QByteArray small = "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Small: " +
                             QByteArray(1024, 'a') + "\r\n\r\n";
    QVERIFY(exchange(port(), small).startsWith("HTTP/1.1 200 "));
}

QTEST_GUILESS_MAIN(TestDiscoverydWire)
#include "tst_discoveryd_wire.moc"
