// regscope-discoveryd against hostile and careless clients, the real server on loopback:
// - out of descriptors under 300 slow clients, it backs off instead of spinning (CPU read
//   from /proc/PID/stat) and a normal client still gets in;
// - 520 slow clients against a 500-connection cap: a normal client is served within 15 s;
// - a request that does not complete within --header-timeout is closed;
// - 40 clients that never read a fetch/all of 50,000 instances keep RSS under 300 MB, and
//   a stalled reply is closed after --write-timeout.

#include "tests/discovery/DiscoveryTestSupport.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace Qt::StringLiterals;
using namespace regscope::testing;

namespace {

// The real server, started with its own descriptor limit when asked (soft = hard, so it
// cannot raise it).
class Server {
public:
    ~Server() {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    bool start(QStringList args, rlim_t nofile = 0) {
        args.prepend(u"127.0.0.1:0"_s);
        args.prepend(u"--listen"_s);
        m_process.setReadChannel(QProcess::StandardOutput);
        if (nofile > 0)
            m_process.setChildProcessModifier([nofile] {
                const rlimit lim{nofile, nofile};
                ::setrlimit(RLIMIT_NOFILE, &lim);
            });
        m_process.start(discoverydPath(), args);
        if (!m_process.waitForStarted(10'000))
            return false;
        QDeadlineTimer deadline(10'000);
        while (!m_process.canReadLine()) {
            if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
                return false;
            m_process.waitForReadyRead(static_cast<int>(deadline.remainingTime()));
        }
        m_address = QString::fromUtf8(m_process.readLine()).trimmed();
        return !m_address.isEmpty();
    }
    QUrl url(const QString& path) const { return QUrl(u"http://"_s + m_address + path); }
    quint16 port() const { return quint16(m_address.section(u':', -1).toUInt()); }
    qint64 pid() const { return m_process.processId(); }
    bool running() const { return m_process.state() == QProcess::Running; }
    QString stderrText() { return QString::fromUtf8(m_process.readAllStandardError()); }

private:
    QProcess m_process;
    QString m_address;
};

// utime + stime of a process, in seconds.
double cpuSeconds(qint64 pid) {
    QFile f(u"/proc/%1/stat"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = f.readAll();
    // Fields after the parenthesised command name (which may hold spaces).
    const auto fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    const double ticks = fields[11].toDouble() + fields[12].toDouble(); // fields 14 and 15
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// A /proc/PID/status figure in bytes ("VmRSS", "VmHWM").
qint64 procStatusBytes(qint64 pid, const char* field) {
    QFile f(u"/proc/%1/status"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray key = QByteArray(field) + ':';
    for (const auto& line : f.readAll().split('\n'))
        if (line.startsWith(key))
            return line.mid(key.size()).trimmed().split(' ').first().toLongLong() * 1024;
    return -1;
}

int connectTo(quint16 port, bool nonBlocking, int rcvbuf = 0) {
    const int fd =
        ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        return -1;
    if (rcvbuf > 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool sendAll(int fd, const QByteArray& data) {
    qsizetype off = 0;
    while (off < data.size()) {
        const auto n = ::send(fd, data.constData() + off, size_t(data.size() - off), MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        off += n;
    }
    return true;
}

// Slow clients: each opens a connection and trickles a request line and headers that
// never end, two bytes a second; one the server closes connects again (an attacker does).
class Tricklers {
public:
    Tricklers(quint16 port, int count)
        : m_port(port)
        , m_fds(std::size_t(count), -1)
        , m_sent(std::size_t(count), 0) {
        for (auto& fd : m_fds)
            fd = connectTo(m_port, true);
        m_thread = std::thread([this] { run(); });
    }
    ~Tricklers() {
        {
            const std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        m_thread.join();
        for (const int fd : m_fds)
            if (fd >= 0)
                ::close(fd);
    }
    int reconnects() const { return m_reconnects.load(); }

private:
    void run() {
        static const QByteArray head = "GET /status HTTP/1.1\r\nHost: slow\r\nX-Slow: ";
        std::unique_lock lock(m_mutex);
        while (!m_wake.wait_for(lock, std::chrono::milliseconds(500), [this] { return m_stop; })) {
            for (std::size_t k = 0; k < m_fds.size(); ++k) {
                int& fd = m_fds[k];
                const std::size_t at = m_sent[k];
                const char byte = at < std::size_t(head.size()) ? head[qsizetype(at)] : 'a';
                if (fd >= 0 && ::send(fd, &byte, 1, MSG_NOSIGNAL) == 1) {
                    ++m_sent[k];
                    continue;
                }
                if (fd >= 0 && (errno == EAGAIN || errno == ENOTCONN))
                    continue; // still connecting, or the server has not accepted yet
                if (fd >= 0)
                    ::close(fd);
                fd = connectTo(m_port, true);
                m_sent[k] = 0;
                ++m_reconnects;
            }
        }
    }

    quint16 m_port;
    std::vector<int> m_fds;
    std::vector<std::size_t> m_sent; // bytes of its request each connection has sent
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    std::atomic<int> m_reconnects{0};
    std::thread m_thread;
};

// A plain blocking HTTP/1.0 GET on a fresh connection (no client library in between):
// the envelope's data, or empty when the connection failed or the deadline passed.
QJsonObject rawGetData(quint16 port, const char* path, const QDeadlineTimer& deadline) {
    const int fd = connectTo(port, false);
    if (fd < 0)
        return {};
    const qint64 left = qMax<qint64>(1, deadline.remainingTime());
    timeval tv{left / 1000, (left % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    QByteArray reply;
    if (sendAll(fd, QByteArray("GET ") + path + " HTTP/1.0\r\nHost: x\r\n\r\n")) {
        char buf[8192];
        for (qsizetype n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
            reply.append(buf, n);
    }
    ::close(fd);
    const auto doc = QJsonDocument::fromJson(reply.mid(reply.indexOf("\r\n\r\n") + 4));
    return doc.object().value(u"data"_s).toObject();
}

// Lets `ms` of real time pass while the event loop runs (a measurement window).
void window(int ms) {
    QTimer timer;
    timer.setSingleShot(true);
    QSignalSpy spy(&timer, &QTimer::timeout);
    timer.start(ms);
    QVERIFY(spy.wait(ms + 5000));
}

QJsonObject statusOf(QNetworkAccessManager& nam, const Server& s, int timeoutMs = 10'000) {
    return httpGet(nam, s.url(u"/status"_s), timeoutMs).data.toObject();
}

} // namespace

class TestDiscoverydLimits : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void outOfDescriptorsBacksOff();
    void slowClientsAtTheCapAreShed();
    void headerDeadlineClosesSlowRequest();
    void unreadFetchAllIsBounded();
    void stalledReplyIsClosedAfterWriteTimeout();

private:
    QNetworkAccessManager m_nam;
};

void TestDiscoverydLimits::initTestCase() {
    // 520 slow clients and 40 readers need more descriptors than a default soft limit.
    rlimit lim{};
    QVERIFY(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
    lim.rlim_cur = lim.rlim_max;
    QVERIFY(::setrlimit(RLIMIT_NOFILE, &lim) == 0);
    QVERIFY2(lim.rlim_cur >= 1200, "the test needs 1200 descriptors");
}

void TestDiscoverydLimits::outOfDescriptorsBacksOff() {
    Server server;
    // 128 descriptors against the default cap of 16,000, and a header deadline longer than
    // the test: only the accept back-off keeps the CPU down.
    QVERIFY(server.start({u"--header-timeout"_s, u"120s"_s}, 128));
    Tricklers slow(server.port(), 300);
    // A normal client (which, like regscope's connector, tries again when a connection
    // fails) must get an answer within 15 s.
    QElapsedTimer served;
    served.start();
    QDeadlineTimer deadline(15'000);
    QJsonObject s;
    int attempts = 0;
    do {
        ++attempts;
        s = rawGetData(server.port(), "/status", deadline);
    } while (s.isEmpty() && !deadline.hasExpired());
    qInfo("fd-starved: a normal client was served after %lld ms (%d attempts)", served.elapsed(),
          attempts);
    QVERIFY2(!s.isEmpty(), qPrintable(u"a normal client got no answer from the fd-starved server "
                                      "(server running: %1, errno of the last connect: %2)"_s
                                          .arg(server.running())
                                          .arg(QString::fromLocal8Bit(std::strerror(errno)))));
    QVERIFY(served.elapsed() < 15'000);

    const double before = cpuSeconds(server.pid());
    QElapsedTimer wall;
    wall.start();
    window(3000);
    const double used = (cpuSeconds(server.pid()) - before) / (double(wall.elapsed()) / 1000.0);
    const auto after = statusOf(m_nam, server, 15'000);
    qInfo("fd-starved under 300 slow clients: %.1f%% of a core; accept errors %lld, shed %lld, "
          "open %lld",
          used * 100, after.value(u"accept_errors"_s).toInteger(),
          after.value(u"connections_shed"_s).toInteger(),
          after.value(u"connections"_s).toInteger());
    QVERIFY2(after.value(u"accept_errors"_s).toInteger() > 0, "the server never ran out of fds");
    QVERIFY2(used < 0.20, qPrintable(u"%1% of a core"_s.arg(used * 100)));
    QVERIFY(after.value(u"connections"_s).toInteger() < 128); // open, not accepted-ever
    QVERIFY(after.value(u"connections_total"_s).toInteger() >=
            after.value(u"connections"_s).toInteger());
    // It said at start that the cap is above what it may open.
    QVERIFY(server.stderrText().contains(u"above the descriptor limit 128"_s));
}

void TestDiscoverydLimits::slowClientsAtTheCapAreShed() {
    Server server;
    QVERIFY(server.start({u"--max-connections"_s, u"500"_s, u"--header-timeout"_s, u"120s"_s}));
    Tricklers slow(server.port(), 520);
    // Let them all connect and hold the cap (each trickles its first bytes).
    QTRY_VERIFY_WITH_TIMEOUT(statusOf(m_nam, server).value(u"connections_shed"_s).toInteger() >= 20,
                             15'000);
    QElapsedTimer served;
    served.start();
    const auto r = httpGet(m_nam, server.url(u"/discovery/nodes"_s), 15'000);
    qInfo("at the cap with 520 slow clients: a normal client was served after %lld ms",
          served.elapsed());
    QCOMPARE(r.code, 0);
    QVERIFY(served.elapsed() < 15'000);
    const auto s = statusOf(m_nam, server);
    QVERIFY(s.value(u"connections"_s).toInteger() <= 500);
    // Only connections that waited 200 ms or more are shed: the first extra ones may have
    // been refused.
    QVERIFY(s.value(u"connections_shed"_s).toInteger() >= 20);
}

void TestDiscoverydLimits::headerDeadlineClosesSlowRequest() {
    Server server;
    QVERIFY(server.start({u"--header-timeout"_s, u"500ms"_s}));
    const int fd = connectTo(server.port(), false);
    QVERIFY(fd >= 0);
    QVERIFY(sendAll(fd, "GET /status HTTP/1.1\r\nHost: x\r\n")); // never ends its headers
    QElapsedTimer t;
    t.start();
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[64];
    const auto n = ::recv(fd, buf, sizeof buf, 0); // EOF when the server closes it
    ::close(fd);
    QCOMPARE(n, 0);
    QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
    // Counted when the read ends, which may be just after the client saw the close.
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(m_nam, server).value(u"header_timeouts"_s).toInteger(), 1,
                              5000);
}

namespace {

// Registers n instances over one pipelined keep-alive connection; returns the 200s seen.
int registerMany(quint16 port, int n) {
    const int fd = connectTo(port, false);
    if (fd < 0)
        return 0;
    std::thread writer([fd, n] {
        QByteArray batch;
        for (int i = 0; i < n; ++i) {
            const QByteArray body =
                "zone=sh001&env=prod&appid=limits.app" + QByteArray::number(i % 100) +
                "&hostname=limits-host-" + QByteArray::number(i) +
                "&status=1&addrs=http%3A%2F%2F10.1.2.3%3A8080&addrs=grpc%3A%2F%2F10.1.2.3%3A9090"
                "&version=v2.14.7-build.1234&region=cn-sh&metadata=%7B%22weight%22%3A%2210%22%2C"
                "%22cluster%22%3A%22blue%22%2C%22color%22%3A%22red%22%7D";
            batch += "POST /discovery/register HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/x-www-form-urlencoded\r\nContent-Length: " +
                     QByteArray::number(body.size()) + "\r\n\r\n" + body;
            if (batch.size() > 64 * 1024 || i == n - 1) {
                if (!sendAll(fd, batch))
                    return;
                batch.clear();
            }
        }
    });
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    QByteArray in;
    int ok = 0;
    char buf[65536];
    while (ok < n) {
        const auto got = ::recv(fd, buf, sizeof buf, 0);
        if (got <= 0)
            break;
        in.append(buf, got);
        qsizetype at = 0;
        while ((at = in.indexOf("\"code\":0", at)) >= 0) {
            ++ok;
            at += 8;
        }
        in = in.right(8);
    }
    ::shutdown(fd, SHUT_RDWR);
    writer.join();
    ::close(fd);
    return ok;
}

// n connections that ask for fetch/all and never read (a tiny receive buffer).
std::vector<int> unreadFetchAll(quint16 port, int n, QNetworkAccessManager* renewVia = nullptr,
                                const QUrl& renewUrl = {}) {
    std::vector<int> fds;
    for (int i = 0; i < n; ++i) {
        const int fd = connectTo(port, false, 4096);
        if (fd < 0 || !sendAll(fd, "GET /discovery/fetch/all HTTP/1.1\r\nHost: x\r\n\r\n"))
            break;
        fds.push_back(fd);
        if (renewVia) { // a change between two asks: each gets a body of its own state
            QUrlQuery f;
            for (const auto& [k, v] : {std::pair{u"zone"_s, u"sh001"_s},
                                       {u"env"_s, u"prod"_s},
                                       {u"appid"_s, u"limits.app0"_s},
                                       {u"hostname"_s, u"limits-host-0"_s}})
                f.addQueryItem(k, v);
            httpPost(*renewVia, renewUrl, f);
        }
    }
    return fds;
}

} // namespace

void TestDiscoverydLimits::unreadFetchAllIsBounded() {
    Server server;
    QVERIFY(server.start({u"--write-timeout"_s, u"60s"_s}));
    constexpr int kInstances = 50'000;
    QElapsedTimer t;
    t.start();
    QCOMPARE(registerMany(server.port(), kInstances), kInstances);
    qInfo("registered %d instances in %lld ms", kInstances, t.elapsed());
    const qint64 baseline = procStatusBytes(server.pid(), "VmRSS");
    const auto one = httpGet(m_nam, server.url(u"/discovery/fetch/all"_s), 30'000);
    QCOMPARE(one.code, 0);
    qInfo("fetch/all of %d instances: %.1f MB; server RSS %.0f MB", kInstances,
          double(one.raw.size()) / 1e6, double(baseline) / 1e6);
    QVERIFY(one.raw.size() > 15'000'000);

    // 40 readers of the same state share one body.
    auto same = unreadFetchAll(server.port(), 40);
    QCOMPARE(int(same.size()), 40);
    QTRY_VERIFY_WITH_TIMEOUT(statusOf(m_nam, server)
                                     .value(u"requests"_s)
                                     .toObject()
                                     .value(u"/discovery/fetch/all"_s)
                                     .toObject()
                                     .value(u"0"_s)
                                     .toInteger() >= 41,
                             30'000);
    auto s = statusOf(m_nam, server);
    const qint64 rssShared = procStatusBytes(server.pid(), "VmRSS");
    qInfo("40 unread fetch/all, same state: held %.1f MB, RSS %.0f MB",
          double(s.value(u"write_buffer_bytes"_s).toInteger()) / 1e6, double(rssShared) / 1e6);
    QVERIFY(s.value(u"write_buffer_bytes"_s).toInteger() < 2 * one.raw.size());
    QVERIFY(rssShared < 300'000'000);

    // 40 more, each of a different state (a renew between two asks): the total bound holds
    // and the asks past it are answered 503 at once.
    auto distinct = unreadFetchAll(server.port(), 40, &m_nam, server.url(u"/discovery/renew"_s));
    QCOMPARE(int(distinct.size()), 40);
    QTRY_VERIFY_WITH_TIMEOUT(statusOf(m_nam, server).value(u"write_refused"_s).toInteger() > 0,
                             30'000);
    s = statusOf(m_nam, server);
    const qint64 rssDistinct = procStatusBytes(server.pid(), "VmRSS");
    const qint64 peak = procStatusBytes(server.pid(), "VmHWM");
    qInfo("+40 unread fetch/all, distinct states: held %.1f MB, refused %lld, RSS %.0f MB, "
          "peak %.0f MB",
          double(s.value(u"write_buffer_bytes"_s).toInteger()) / 1e6,
          s.value(u"write_refused"_s).toInteger(), double(rssDistinct) / 1e6, double(peak) / 1e6);
    QVERIFY(s.value(u"write_buffer_bytes"_s).toInteger() <= 128 << 20);
    QVERIFY2(rssDistinct < 300'000'000, qPrintable(QString::number(rssDistinct)));
    QVERIFY2(peak < 300'000'000, qPrintable(QString::number(peak)));

    // They hang up: the reply memory goes back.
    for (const int fd : same)
        ::close(fd);
    for (const int fd : distinct)
        ::close(fd);
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(m_nam, server).value(u"write_buffer_bytes"_s).toInteger(), 0,
                              15'000);
    QTRY_VERIFY_WITH_TIMEOUT(procStatusBytes(server.pid(), "VmRSS") < baseline + 60'000'000,
                             15'000);
    qInfo("after they closed: RSS %.0f MB", double(procStatusBytes(server.pid(), "VmRSS")) / 1e6);
}

void TestDiscoverydLimits::stalledReplyIsClosedAfterWriteTimeout() {
    Server server;
    QVERIFY(server.start({u"--write-timeout"_s, u"1s"_s}));
    QCOMPARE(registerMany(server.port(), 20000), 20000); // a reply above the socket buffers
    auto fds = unreadFetchAll(server.port(), 1);
    QCOMPARE(int(fds.size()), 1);
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(m_nam, server).value(u"write_timeouts"_s).toInteger(), 1,
                              10'000);
    QCOMPARE(statusOf(m_nam, server).value(u"write_buffer_bytes"_s).toInteger(), 0);
    ::close(fds.front());
}

QTEST_GUILESS_MAIN(TestDiscoverydLimits)
#include "tst_discoveryd_limits.moc"
