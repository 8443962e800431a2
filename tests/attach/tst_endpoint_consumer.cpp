// Embeddable from another project: install the registry-dev component into a prefix, build a
// small consumer outside the source tree against it (CMake package and pkg-config), run it with
// REGSCOPE_DEBUG=1 and attach to it at the protocol level.

#include "tests/attach/EndpointTestClient.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace attachtest;
using namespace std::chrono_literals;

namespace {

// Runs a command to the end; returns its output, with the exit code checked by the caller.
struct Run {
    int code = -1;
    QString output;
};
Run RunCommand(const QString& program, const QStringList& args, int timeoutMs = 240000,
               QProcessEnvironment env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        r.output = QStringLiteral("timed out: ") + program;
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.output = QString::fromUtf8(p.readAll());
    return r;
}

bool CopyDir(const QString& from, const QString& to) {
    QDir().mkpath(to);
    for (const auto& name : QDir(from).entryList(QDir::Files))
        if (!QFile::copy(from + u'/' + name, to + u'/' + name))
            return false;
    return true;
}

} // namespace

class TestEndpointConsumer : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    QString prefix_;

    // Attaches to a consumer started with REGSCOPE_DEBUG=1 and checks what it holds.
    void AttachTo(const QString& exe) {
        QTemporaryDir runtime;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("REGSCOPE_DEBUG"), QStringLiteral("1"));
        env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime.path());
        env.remove(QStringLiteral("REGSCOPE_DEBUG_SOCKET"));
        QProcess consumer;
        consumer.setProcessEnvironment(env);
        consumer.start(exe, {});
        QVERIFY(consumer.waitForStarted(10000));
        QVERIFY(consumer.waitForReadyRead(10000));
        const auto ready = QString::fromUtf8(consumer.readLine()).trimmed();
        const auto path =
            runtime.filePath(QStringLiteral("regscope/%1.sock").arg(consumer.processId()));
        QCOMPARE(ready, QStringLiteral("READY ") + path);

        Client c;
        QVERIFY(!c.Connect(path.toStdString()));
        const auto refused = c.Handshake();
        QVERIFY2(!refused, refused ? refused->c_str() : "");
        auto& r = c.registries["codec"];
        QVERIFY(c.PumpUntil([&] { return r.snapshotDone; }, 10s));
        QCOMPARE(c.hello["process_name"].get<std::string>(), std::string("consumer-demo"));
        QCOMPARE(c.hello["pid"].get<qint64>(), consumer.processId());
        QCOMPARE(r.entries.size(), 3u); // gzip 1.4.0, gzip 2.0.0-rc.1, alias zlib
        QVERIFY(r.entries.contains(Key{"", "gzip", "1.4.0"}));
        const Key zlib{"", "zlib", ""};
        const Key gzip{"", "gzip", "1.4.0"};
        QCOMPARE(r.entries[zlib]["alias_of"].get<std::string>(), std::string("gzip"));
        const auto by = r.entries[gzip]["registered_by"].get<std::string>();
        QVERIFY2(by == exe.toStdString(), by.c_str());
        // Metrics: the consumer's hit and miss.
        consumer.write("brotli\n");
        QVERIFY(consumer.waitForBytesWritten(5000));
        QVERIFY(c.PumpUntil(
            [&] { return c.metrics > 0 && c.lastMetrics["misses"].get<int>() >= 2; }, 10s));
        QVERIFY(c.lastMetrics["hits"].get<int>() >= 1);
        consumer.closeWriteChannel();
        QVERIFY(consumer.waitForFinished(10000));
        QCOMPARE(consumer.exitCode(), 0);
        QVERIFY(!QFile::exists(path)); // removed on exit
        QVERIFY(!c.PumpUntil([] { return false; }, 5s));
        QVERIFY(c.Eof());
    }

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        prefix_ = tmp_.filePath(QStringLiteral("prefix"));
        const auto install =
            RunCommand(QStringLiteral(CMAKE_COMMAND_PATH),
                       {QStringLiteral("--install"), QStringLiteral(REGSCOPE_BUILD_DIR),
                        QStringLiteral("--component"), QStringLiteral("registry-dev"),
                        QStringLiteral("--prefix"), prefix_});
        QVERIFY2(install.code == 0, qPrintable(install.output));
        QVERIFY(QFile::exists(prefix_ + QStringLiteral("/include/regscope/registry.h")));
        QVERIFY(QFile::exists(prefix_ + QStringLiteral("/lib/pkgconfig/regscope-registry.pc")) ||
                !QDir(prefix_ + QStringLiteral("/lib")).entryList({QStringLiteral("*")}).isEmpty());
        // Nothing of the app's build tree may leak into the installed headers.
        QVERIFY(!QFile::exists(prefix_ +
                               QStringLiteral("/include/regscope/models/registry/Snapshot.h")));
    }

    void cmakePackageConsumer() {
        const auto src = tmp_.filePath(QStringLiteral("consumer-src")); // outside the source tree
        QVERIFY(CopyDir(QStringLiteral(CONSUMER_SOURCE_DIR), src));
        const auto build = tmp_.filePath(QStringLiteral("consumer-build"));
        const auto configure = RunCommand(QStringLiteral(CMAKE_COMMAND_PATH),
                                          {QStringLiteral("-S"), src, QStringLiteral("-B"), build,
                                           QStringLiteral("-G"), QStringLiteral("Ninja"),
                                           QStringLiteral("-DCMAKE_BUILD_TYPE=Release"),
                                           QStringLiteral("-DCMAKE_PREFIX_PATH=") + prefix_});
        QVERIFY2(configure.code == 0, qPrintable(configure.output));
        const auto built =
            RunCommand(QStringLiteral(CMAKE_COMMAND_PATH), {QStringLiteral("--build"), build});
        QVERIFY2(built.code == 0, qPrintable(built.output));
        AttachTo(build + QStringLiteral("/consumer"));
    }

    void pkgConfigConsumer() {
        auto env = QProcessEnvironment::systemEnvironment();
        const auto pcDir = QDir(prefix_).entryList({QStringLiteral("lib*")}, QDir::Dirs);
        QVERIFY(!pcDir.isEmpty());
        env.insert(QStringLiteral("PKG_CONFIG_PATH"),
                   prefix_ + u'/' + pcDir.front() + QStringLiteral("/pkgconfig"));
        const auto flags = RunCommand(QStringLiteral("pkg-config"),
                                      {QStringLiteral("--cflags"), QStringLiteral("--libs"),
                                       QStringLiteral("regscope-registry")},
                                      30000, env);
        QVERIFY2(flags.code == 0, qPrintable(flags.output));
        const auto exe = tmp_.filePath(QStringLiteral("consumer-pc"));
        QStringList args{QStringLiteral(CONSUMER_SOURCE_DIR "/main.cpp"), QStringLiteral("-o"),
                         exe};
        args += flags.output.simplified().split(u' ', Qt::SkipEmptyParts);
        const auto built = RunCommand(QStringLiteral(CXX_COMPILER_PATH), args);
        QVERIFY2(built.code == 0, qPrintable(args.join(u' ') + u'\n' + built.output));
        AttachTo(exe);
    }
};

QTEST_GUILESS_MAIN(TestEndpointConsumer)
#include "tst_endpoint_consumer.moc"
