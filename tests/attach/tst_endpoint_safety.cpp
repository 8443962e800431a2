// The debug endpoint never hurts its host: a client that stops reading is dropped while the
// host's lookups go on; another uid is refused (and audited); garbage and a wrong protocol
// version get a clear refusal and drop only that client; a forked child does not serve;
// activation by REGSCOPE_DEBUG=1 only, the socket private and removed on exit.

#include "tests/attach/EndpointTestClient.h"
#include "tests/attach/HostProcess.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <sys/stat.h>
#include <thread>

using namespace attachtest;
using namespace std::chrono_literals;

namespace {

QStringList HostArgs(const QTemporaryDir& dir, QStringList extra = {}) {
    return QStringList{QStringLiteral("--socket"), dir.filePath(QStringLiteral("host.sock"))} +
           extra;
}

int Threads(qint64 pid) {
    return static_cast<int>(QDir(QStringLiteral("/proc/%1/task").arg(pid))
                                .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                                .size());
}

// Sends a ping with `id` and reads (at most 50 frames, 1 s each) until its pong comes back.
bool answersPing(Client& c, int id) {
    if (!c.SendRaw(proto::EncodeFrame(R"({"type":"ping","id":)" + std::to_string(id) + "}")))
        return false;
    for (int i = 0; i < 50; ++i) {
        auto f = c.ReadFrame(1000ms);
        if (!f)
            return false;
        if ((*f)["type"] == "pong" && (*f)["id"] == id)
            return true;
    }
    return false;
}

} // namespace

class TestEndpointSafety : public QObject {
    Q_OBJECT

private slots:
    void stalledClientDroppedLookupsGoOn() {
        QTemporaryDir dir;
        HostProcess host(HostArgs(dir, {QStringLiteral("--lookups"), QStringLiteral("--stall-ms"),
                                        QStringLiteral("1000"), QStringLiteral("--queue-bytes"),
                                        QStringLiteral("262144")}));
        const auto path = host.Start();
        Client c;
        QVERIFY(!c.Connect(path));
        // Shrink our receive buffer so the host's side fills quickly, then never read again.
        int small = 4096;
        ::setsockopt(c.Fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        QVERIFY(c.SendRaw(proto::ClientHello()));
        Client watcher; // a second, well-behaved client must stay: it reads on a thread
        QVERIFY(!watcher.Connect(path));
        QVERIFY(!watcher.Handshake());
        std::atomic<bool> sawReason{false};
        std::atomic<bool> stopWatching{false};
        std::thread reader([&] {
            while (!stopWatching.load()) {
                watcher.PumpUntil([] { return false; }, 100ms);
                for (const auto& l : watcher.auditLines)
                    if (l.find("slow_client") != std::string::npos &&
                        l.find("nothing read") != std::string::npos)
                        sawReason.store(true);
            }
        });
        QCOMPARE(host.Command("stream 40000 10000"), std::string("STARTED"));
        QTRY_COMPARE_WITH_TIMEOUT(host.Command("clients"), std::string("CLIENTS 1"), 20000);
        const auto a = std::stoull(host.Command("lookups").substr(8));
        QTRY_VERIFY_WITH_TIMEOUT(std::stoull(host.Command("lookups").substr(8)) > a, 5000);
        // The reason is in the audit tail the watcher receives; the watcher is still served.
        QTRY_VERIFY_WITH_TIMEOUT(sawReason.load(), 10000);
        stopWatching.store(true);
        reader.join();
        QVERIFY(!watcher.Eof());
        QVERIFY(watcher.registries["codec"].snapshotDone);
        QCOMPARE(host.Command("wait").substr(0, 5), std::string("DONE "));
    }

    // A peer of another uid: as root, run the probe as nobody against a socket it may open.
    void otherUidRefused() {
        if (::getuid() != 0)
            QFAIL("this test needs root to run a client as another uid (setpriv)");
        QTemporaryDir dir;
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                              QFile::ExeGroup | QFile::ExeOther);
        HostProcess host(HostArgs(dir));
        const auto path = host.Start();
        QVERIFY(!path.empty());
        QCOMPARE(::chmod(path.c_str(), 0666), 0); // only SO_PEERCRED stands in the way now
        QProcess probe;
        probe.start(QStringLiteral("setpriv"),
                    {QStringLiteral("--reuid=nobody"), QStringLiteral("--regid=nogroup"),
                     QStringLiteral("--clear-groups"), QStringLiteral(ENDPOINT_PROBE_PATH),
                     QString::fromStdString(path)});
        QVERIFY(probe.waitForFinished(10000));
        const QString out = QString::fromUtf8(probe.readAllStandardOutput());
        QVERIFY2(out.contains(
                     QStringLiteral("host refused the attach: permission denied: peer uid 65534")),
                 qPrintable(out + QString::fromUtf8(probe.readAllStandardError())));
        QCOMPARE(probe.exitCode(), 3);
        // ...and the refusal went to the audit sink (the host's stderr, JSON lines).
        QString err;
        QTRY_VERIFY_WITH_TIMEOUT(
            (err += QString::fromUtf8(host.Process().readAllStandardError()),
             err.contains(QStringLiteral("\"outcome\":\"permission_denied\""))),
            5000);
        // Same uid passes through the same probe.
        QProcess same;
        same.start(QStringLiteral(ENDPOINT_PROBE_PATH), {QString::fromStdString(path)});
        QVERIFY(same.waitForFinished(10000));
        QCOMPARE(same.exitCode(), 0);
    }

    void garbageAndWrongVersionRefused() {
        QTemporaryDir dir;
        HostProcess host(HostArgs(dir));
        const auto path = host.Start();
        Client good;
        QVERIFY(!good.Connect(path));
        QVERIFY(!good.Handshake());
        {
            Client c;
            QVERIFY(!c.Connect(path));
            QVERIFY(c.SendRaw("GET / HTTP/1.1\r\n\r\n"));
            const auto line = c.ReadLine(5000ms);
            QVERIFY(line);
            const auto check = proto::CheckServerAnswer(*line);
            QVERIFY(!check);
            QVERIFY2(
                check.error().starts_with(
                    "host refused the attach: not a regscope attach handshake: \"GET / HTTP/1.1"),
                check.error().c_str());
        }
        {
            Client c;
            QVERIFY(!c.Connect(path));
            const auto refused = c.Handshake(5000ms, 2);
            QVERIFY(refused);
            QVERIFY2(refused->find("protocol version 2 is not supported: this host (pid " +
                                   std::to_string(host.Pid()) + ") speaks attach protocol 1") !=
                         std::string::npos,
                     refused->c_str());
        }
        { // the client side's own refusal of a host speaking another version
            const auto check = proto::CheckServerAnswer("REGSCOPE-ATTACH|2|7f3a1c9e|ok");
            QVERIFY(!check);
            QCOMPARE(check.error(),
                     std::string("host speaks attach protocol 2; this regscope speaks 1"));
            QVERIFY(!proto::CheckServerAnswer("SSH-2.0-OpenSSH_9.2"));
        }
        { // an oversized frame: error frame, then the connection closes
            Client c;
            QVERIFY(!c.Connect(path));
            QVERIFY(!c.Handshake());
            QVERIFY(c.SendRaw(std::string("\xff\xff\xff\xff", 4)));
            QVERIFY(c.PumpUntil([&] { return !c.lastError.is_null(); }, 5s));
            QCOMPARE(c.lastError["code"].get<std::string>(), std::string("frame_too_large"));
            QVERIFY(!c.PumpUntil([] { return false; }, 5s));
            QVERIFY(c.Eof());
        }
        { // a frame that is not JSON
            Client c;
            QVERIFY(!c.Connect(path));
            QVERIFY(!c.Handshake());
            QVERIFY(c.SendRaw(proto::EncodeFrame("{not json")));
            QVERIFY(c.PumpUntil([&] { return !c.lastError.is_null(); }, 5s));
            QCOMPARE(c.lastError["code"].get<std::string>(), std::string("malformed_frame"));
        }
        { // an unknown type is answered, the connection stays
            Client c;
            QVERIFY(!c.Connect(path));
            QVERIFY(!c.Handshake());
            QVERIFY(c.SendRaw(proto::EncodeFrame(R"({"type":"frobnicate"})")));
            QVERIFY(c.PumpUntil([&] { return !c.lastError.is_null(); }, 5s));
            QCOMPARE(c.lastError["code"].get<std::string>(), std::string("unknown_type"));
            QVERIFY(answersPing(c, 7));
        }
        { // fields of the wrong type read as absent: no exception ends the host's thread
            Client c;
            QVERIFY(!c.Connect(path));
            QVERIFY(!c.Handshake());
            for (const char* frame :
                 {R"({"type":"resync","registry":5})", R"({"type":"resync","registry":{"a":[1]}})",
                  R"({"type":"ping","id":"seven"})", R"({"type":"ping","id":18446744073709551615})",
                  R"({"type":"ping","id":-1.5e300})"})
                QVERIFY(c.SendRaw(proto::EncodeFrame(frame)));
            QVERIFY(answersPing(c, 8));
            QVERIFY(host.Running());
        }
        // The well-behaved client was not affected by any of it.
        QVERIFY(good.PumpUntil(
            [&] { return good.registries["codec"].snapshotDone && good.metrics > 0; }, 10s));
        QVERIFY(!good.Eof());
    }

    void forkedChildDoesNotServe() {
        QTemporaryDir dir;
        HostProcess host(HostArgs(dir));
        const auto path = host.Start();
        QCOMPARE(host.Command("fork"), std::string("CHILD running=0 listening=0"));
        QCOMPARE(host.ReadLine(5000), std::string("PARENT child=0"));
        QVERIFY(QFile::exists(QString::fromStdString(path))); // the child's exit left it alone
        Client c;
        QVERIFY(!c.Connect(path));
        QVERIFY(!c.Handshake());
        QCOMPARE(c.PumpUntil([&] { return !c.hello.is_null(); }, 5s), true);
        QCOMPARE(c.hello["pid"].get<qint64>(), host.Pid());
    }

    // REGSCOPE_DEBUG=1 and no code: the socket under $XDG_RUNTIME_DIR/regscope/, private,
    // removed on exit. Without it: no socket, no thread.
    void activationByEnvironmentOnly() {
        QTemporaryDir runtime;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime.path());
        env.remove(QStringLiteral("REGSCOPE_DEBUG_SOCKET"));
        env.remove(QStringLiteral("REGSCOPE_DEBUG"));
        {
            HostProcess quiet({QStringLiteral("--env")}, env);
            QCOMPARE(quiet.Start(), std::string("-"));
            QCOMPARE(Threads(quiet.Pid()), 1);
            QVERIFY(!QFileInfo::exists(runtime.filePath(QStringLiteral("regscope"))));
            quiet.Command("quit");
        }
        env.insert(QStringLiteral("REGSCOPE_DEBUG"), QStringLiteral("1"));
        HostProcess host({QStringLiteral("--env")}, env);
        const auto path = host.Start();
        const auto expected =
            runtime.filePath(QStringLiteral("regscope/%1.sock").arg(host.Pid())).toStdString();
        QCOMPARE(path, expected);
        QCOMPARE(Threads(host.Pid()), 2); // main + the endpoint thread
        struct stat st {};
        QCOMPARE(
            ::stat(runtime.filePath(QStringLiteral("regscope")).toLocal8Bit().constData(), &st), 0);
        QCOMPARE(st.st_mode & 0777, 0700u);
        QCOMPARE(::stat(path.c_str(), &st), 0);
        QVERIFY(S_ISSOCK(st.st_mode));
        QCOMPARE(st.st_mode & 0777, 0600u);
        Client c;
        QVERIFY(!c.Connect(path));
        QVERIFY(!c.Handshake());
        QVERIFY(c.PumpUntil([&] { return c.registries["codec"].snapshotDone; }, 10s));
        host.Process().write("quit\n");
        QVERIFY(host.Process().waitForFinished(5000));
        QCOMPARE(host.Process().exitCode(), 0);
        QVERIFY(!QFileInfo::exists(QString::fromStdString(path)));
    }
};

QTEST_GUILESS_MAIN(TestEndpointSafety)
#include "tst_endpoint_safety.moc"
