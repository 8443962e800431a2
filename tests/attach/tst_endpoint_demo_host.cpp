// regscope-demo-host, attached at the protocol level: the demo plugins it dlopened registered
// their implementations (registered_by: the plugin's .so), the demo workload runs (metrics move).

#include "tests/attach/EndpointTestClient.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace attachtest;
using namespace std::chrono_literals;

class TestEndpointDemoHost : public QObject {
    Q_OBJECT

private slots:
    void pluginsAndWorkloadVisible() {
        QTemporaryDir dir;
        const auto path = dir.filePath(QStringLiteral("demo.sock"));
        QProcess host;
        host.start(QStringLiteral(DEMO_HOST_PATH), {QStringLiteral("--socket"), path});
        QVERIFY(host.waitForStarted(10000));
        QVERIFY(host.waitForReadyRead(10000));
        const auto banner = QString::fromUtf8(host.readLine());
        QVERIFY2(banner.contains(QStringLiteral("socket ") + path), qPrintable(banner));

        Client c;
        QVERIFY(!c.Connect(path.toStdString()));
        QVERIFY(!c.Handshake());
        auto& plugin = c.registries["plugin"];
        auto& component = c.registries["component"];
        QVERIFY(c.PumpUntil([&] { return plugin.snapshotDone && component.snapshotDone; }, 10s));
        QCOMPARE(c.hello["process_name"].get<std::string>(), std::string("regscope-demo-host"));
        QVERIFY(plugin.entries.size() >= 3);
        for (const auto& [key, e] : plugin.entries)
            QVERIFY2(e["registered_by"].get<std::string>().ends_with("/codec_demo.so"),
                     e.dump().c_str());
        QVERIFY(component.entries.size() > 40);
        // The workload: hits, misses and deprecated lookups in the metrics of "component".
        QVERIFY(c.PumpUntil(
            [&] {
                return c.lastMetrics.is_object() &&
                       c.lastMetrics.value("registry", "") == "component" &&
                       c.lastMetrics["hits"].get<int>() > 0 &&
                       c.lastMetrics["misses"].get<int>() > 0 &&
                       !c.lastMetrics["deprecated_lookups"].empty();
            },
            10s));
        host.terminate(); // SIGTERM: a clean stop, the socket is removed
        QVERIFY(host.waitForFinished(10000));
        QCOMPARE(host.exitCode(), 0);
        QVERIFY(!QFile::exists(path));
    }
};

QTEST_GUILESS_MAIN(TestEndpointDemoHost)
#include "tst_endpoint_demo_host.moc"
