// HTTP/1.1 pipelining against the real regscope-discoveryd: replies to requests sent
// together come back complete and in order (the server writes them in batches), a parked
// long-poll holds the replies behind it until it is answered, a request not yet whole does
// not hold back the replies before it, and Connection: close ends the batch.

#include "tests/discovery/DiscoveryTestSupport.h"

#include <QElapsedTimer>
#include <QTest>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace regscope::testing;

namespace {

int connectTo(quint16 port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool sendAll(int fd, const QByteArray& data) {
    for (qsizetype at = 0; at < data.size();) {
        const auto n =
            ::send(fd, data.constData() + at, static_cast<size_t>(data.size() - at), MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        at += n;
    }
    return true;
}

QByteArray post(const QByteArray& path, const QByteArray& body, bool close = false) {
    return "POST " + path +
           " HTTP/1.1\r\nHost: x\r\nContent-Type: "
           "application/x-www-form-urlencoded\r\n" +
           (close ? QByteArray("Connection: close\r\n") : QByteArray()) +
           "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QByteArray get(const QByteArray& target) {
    return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

QByteArray key(const QByteArray& host) {
    return "zone=z1&env=prod&appid=pipe.app&hostname=" + host;
}

QByteArray reg(const QByteArray& host) {
    return post("/discovery/register", key(host) + "&status=1&addrs=http%3A%2F%2F10.0.0.1%3A80");
}

struct Reply {
    int http = 0;
    int code = 1;
    bool close = false;
};

// Reads replies off a connection: each one whole (Content-Length), or none at the deadline.
class Replies {
public:
    explicit Replies(int fd)
        : m_fd(fd) {}
    // The next reply within timeoutMs, or nullopt (nothing whole arrived in time).
    std::optional<Reply> next(int timeoutMs) {
        QElapsedTimer t;
        t.start();
        for (;;) {
            if (auto r = take())
                return r;
            const int left = timeoutMs - static_cast<int>(t.elapsed());
            pollfd p{m_fd, POLLIN, 0};
            if (left <= 0 || ::poll(&p, 1, left) <= 0)
                return std::nullopt;
            char buf[65536];
            const auto n = ::recv(m_fd, buf, sizeof buf, 0);
            if (n <= 0) {
                m_eof = true;
                return take();
            }
            m_in.append(buf, n);
        }
    }
    bool closedByServer(int timeoutMs) {
        pollfd p{m_fd, POLLIN, 0};
        char c;
        return m_eof || (::poll(&p, 1, timeoutMs) == 1 && ::recv(m_fd, &c, 1, 0) == 0);
    }

private:
    std::optional<Reply> take() {
        const auto end = m_in.indexOf("\r\n\r\n");
        if (end < 0)
            return std::nullopt;
        const QByteArray head = m_in.left(end);
        const auto cl = head.indexOf("Content-Length: ");
        const qsizetype length = cl < 0 ? 0 : head.mid(cl + 16).split('\r').front().toLongLong();
        if (m_in.size() < end + 4 + length)
            return std::nullopt;
        Reply r;
        r.http = head.mid(9, 3).toInt();
        r.close = head.contains("Connection: close");
        const auto doc = QJsonDocument::fromJson(m_in.mid(end + 4, length));
        if (doc.isObject())
            r.code = doc.object().value(u"code"_s).toInt(1);
        m_in.remove(0, end + 4 + length);
        return r;
    }

    int m_fd;
    QByteArray m_in;
    bool m_eof = false;
};

} // namespace

class TestDiscoverydPipeline : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void mixedBatchInOrder();
    void manyRenewsInOneWrite();
    void parkedPollHoldsWhatFollows();
    void partialRequestDoesNotHoldEarlierReplies();
    void connectionCloseEndsTheBatch();

private:
    DiscoverydProcess m_server;
    quint16 port() const { return static_cast<quint16>(m_server.url().port()); }
};

void TestDiscoverydPipeline::initTestCase() {
    QVERIFY(m_server.start({u"--poll-timeout"_s, u"30s"_s, u"--max-body"_s, u"4096"_s}));
}

void TestDiscoverydPipeline::mixedBatchInOrder() {
    const int fd = connectTo(port());
    QVERIFY(fd >= 0);
    // Successes, API errors, a transport 404 and a 405, all in one write.
    QVERIFY(sendAll(fd, reg("a") + post("/discovery/renew", key("a")) +
                            post("/discovery/renew", key("nobody")) +
                            get("/discovery/fetch?env=prod&status=3&appid=pipe.app") +
                            get("/no/such/endpoint") + get("/discovery/renew") +
                            post("/discovery/renew", "zone=z1&env=prod") +
                            post("/discovery/renew", key("a"))));
    Replies replies(fd);
    const QList<std::pair<int, int>> expected{{200, 0},    {200, 0},    {200, -404}, {200, 0},
                                              {404, -404}, {405, -400}, {200, -400}, {200, 0}};
    for (const auto& [http, code] : expected) {
        const auto r = replies.next(5000);
        QVERIFY(r);
        QCOMPARE(r->http, http);
        QCOMPARE(r->code, code);
    }
    QVERIFY(!replies.next(200)); // nothing more
    ::close(fd);
}

void TestDiscoverydPipeline::manyRenewsInOneWrite() {
    QNetworkAccessManager nam;
    QUrlQuery f;
    const QByteArray form = key("b");
    for (const auto& kv : form.split('&'))
        f.addQueryItem(QString::fromUtf8(kv.split('=')[0]), QString::fromUtf8(kv.split('=')[1]));
    f.addQueryItem(u"status"_s, u"1"_s);
    f.addQueryItem(u"addrs"_s, u"http://10.0.0.2:80"_s);
    QCOMPARE(httpPost(nam, m_server.url(u"/discovery/register"_s), f).code, 0);
    const int before =
        httpGet(nam, m_server.url(u"/status"_s)).data.toObject().value(u"renews"_s).toInt();
    const int fd = connectTo(port());
    QByteArray all;
    constexpr int n = 500; // more than one batch of replies, and more than one read
    for (int i = 0; i < n; ++i)
        all += post("/discovery/renew", key(i % 7 == 6 ? "nobody" : "b"));
    QVERIFY(sendAll(fd, all));
    Replies replies(fd);
    for (int i = 0; i < n; ++i) {
        const auto r = replies.next(5000);
        QVERIFY2(r, qPrintable(u"reply %1 of %2 missing"_s.arg(i).arg(n)));
        QCOMPARE(r->code, i % 7 == 6 ? -404 : 0);
    }
    QVERIFY(!replies.next(200));
    ::close(fd);
    const int after =
        httpGet(nam, m_server.url(u"/status"_s)).data.toObject().value(u"renews"_s).toInt();
    QCOMPARE(after - before, n - n / 7);
}

void TestDiscoverydPipeline::parkedPollHoldsWhatFollows() {
    QNetworkAccessManager nam;
    const int fd = connectTo(port());
    // A renew, a poll that parks (stamp in the future of the app's), then a renew: the
    // first renew is answered at once, the last one only after the poll.
    const auto info =
        httpGet(nam, m_server.url(u"/discovery/fetch?env=prod&status=3&appid=pipe.app"_s));
    const qint64 latest = info.data.toObject().value(u"latest_timestamp"_s).toInteger();
    QVERIFY(latest > 0);
    QVERIFY(sendAll(fd, post("/discovery/renew", key("a")) +
                            get("/discovery/poll?env=prod&appid=pipe.app&hostname=p&latest_"
                                "timestamp=" +
                                QByteArray::number(latest)) +
                            post("/discovery/renew", key("a"))));
    Replies replies(fd);
    const auto first = replies.next(5000);
    QVERIFY(first);
    QCOMPARE(first->code, 0);
    QVERIFY(!replies.next(300)); // the poll is parked and the renew waits behind it
    QUrlQuery f;
    const QByteArray form = key("c") + "&status=1&addrs=http%3A%2F%2F10.0.0.3%3A80";
    for (const auto& kv : form.split('&'))
        f.addQueryItem(QString::fromUtf8(kv.split('=')[0]),
                       QUrl::fromPercentEncoding(kv.split('=')[1]));
    QCOMPARE(httpPost(nam, m_server.url(u"/discovery/register"_s), f).code, 0); // wakes it
    const auto poll = replies.next(5000);
    QVERIFY(poll);
    QCOMPARE(poll->code, 0);
    const auto last = replies.next(5000);
    QVERIFY(last);
    QCOMPARE(last->code, 0);
    ::close(fd);
}

void TestDiscoverydPipeline::partialRequestDoesNotHoldEarlierReplies() {
    const int fd = connectTo(port());
    const QByteArray second = post("/discovery/renew", key("a"));
    QVERIFY(sendAll(fd, post("/discovery/renew", key("a")) + second.left(30)));
    Replies replies(fd);
    const auto first = replies.next(5000);
    QVERIFY(first); // answered while the second request is still incomplete
    QCOMPARE(first->code, 0);
    QVERIFY(sendAll(fd, second.mid(30)));
    const auto r = replies.next(5000);
    QVERIFY(r);
    QCOMPARE(r->code, 0);
    ::close(fd);
}

void TestDiscoverydPipeline::connectionCloseEndsTheBatch() {
    const int fd = connectTo(port());
    QVERIFY(sendAll(fd, post("/discovery/renew", key("a")) +
                            post("/discovery/renew", key("a"), true) +
                            post("/discovery/renew", key("a"))));
    Replies replies(fd);
    const auto a = replies.next(5000);
    const auto b = replies.next(5000);
    QVERIFY(a && b);
    QVERIFY(!a->close);
    QVERIFY(b->close);
    QVERIFY(!replies.next(300)); // the request after the close is not answered
    QVERIFY(replies.closedByServer(5000));
    ::close(fd);
}

QTEST_GUILESS_MAIN(TestDiscoverydPipeline)
#include "tst_discoveryd_pipeline.moc"
