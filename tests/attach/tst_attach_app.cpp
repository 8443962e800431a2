// The app side of attaching (issue 12 §2) against real, separate host processes
// (attach_test_host, REGSCOPE_DEBUG=1): the store equals what the host holds, a 10,000/s
// stream loses nothing, SIGKILL gives a clean Down that keeps the last state (muted) and
// reattach follows the restarted program, 16 clients at once, a wrong protocol version is
// refused with a clear message, and the listing finds the host.

#include "AttachHost.h"
#include "app/regscope/ConnectorFactory.h"
#include "connectors/attach/AttachConnector.h"
#include "connectors/attach/AttachDiscovery.h"
#include "connectors/attach/AttachSocket.h"
#include "models/EntriesModel.h"
#include "models/ItemRoles.h"
#include "models/MetricNames.h"
#include "models/Store.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;
using regscope::test::AttachHost;
using regscope::test::storeEntries;

namespace {

// A connector wired to its own store, as the Session wires them.
struct Attached {
    explicit Attached(const QString& url, int protocol = attach::kProtocolVersion) {
        auto options = AttachConnector::parseUrl(url);
        if (!options)
            qFatal("%s", qPrintable(options.error()));
        options->protocol = protocol;
        connector = std::make_unique<AttachConnector>(*options);
        QObject::connect(connector.get(), &Connector::eventsReady, &store, &Store::apply);
        connector->start();
    }
    ~Attached() {
        if (connector)
            connector->stop();
    }
    int state() const { return int(store.health().state); }
    QString reason() const { return store.health().reason; }

    Store store;
    std::unique_ptr<AttachConnector> connector;
};

QString pidUrl(const AttachHost& host, QStringView query = {}) {
    return u"pid://%1"_s.arg(host.pid()) + query.toString();
}

bool hasTimeline(const Store& store, QStringView category, QStringView text = {}) {
    for (const TimelineEvent& e : store.timeline()) {
        if (e.category == category && e.text.contains(text))
            return true;
    }
    return false;
}

} // namespace

class TestAttachApp : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void urls();
    void snapshotEqualsHost();
    void streamLosesNothing();
    void killGivesDownAndReattachFollows();
    void unixSocketSource();
    void sixteenClients();
    void wrongProtocolVersionIsRefused();
    void noEndpointIsAClearDown();
    void listingFindsTheHost();
};

void TestAttachApp::initTestCase() {
    registerConnectorMetaTypes();
    test::useTemporaryRuntimeDir();
}

void TestAttachApp::urls() {
    auto pid = AttachConnector::parseUrl(u"pid://1234?reattach=1"_s);
    QVERIFY(pid);
    QCOMPARE(pid->pid, 1234);
    QVERIFY(pid->reattach);
    auto unix = AttachConnector::parseUrl(u"unix:///run/x/app.sock"_s);
    QVERIFY(unix);
    QCOMPARE(unix->socketPath, u"/run/x/app.sock"_s);
    QVERIFY(!unix->reattach);
    QVERIFY(!AttachConnector::parseUrl(u"pid://abc"_s));
    QVERIFY(!AttachConnector::parseUrl(u"unix://relative.sock"_s));
    QVERIFY(AttachConnector::parseUrl(u"pid://1?colour=red"_s).error().contains(u"colour"));
    // The factory behind --connect and the connection bar knows both schemes.
    QVERIFY(makeConnector(u"pid://42"_s));
    QVERIFY(makeConnector(u"unix:///tmp/x.sock"_s));
    const auto bad = makeConnector(u"pid://x"_s);
    QVERIFY(!bad);
    QCOMPARE(int(bad.error().code), int(SourceError::Code::BadUrl));
    QVERIFY2(bad.error().message.contains(u"pid://PID"), qPrintable(bad.error().message));
}

void TestAttachApp::snapshotEqualsHost() {
    AttachHost host(u"codec,driver"_s);
    QVERIFY(host.pid() > 0);
    QCOMPARE(host.command("fill codec 600"), QByteArray("ok 600"));
    QCOMPARE(host.command("fill driver 300"), QByteArray("ok 300"));
    QCOMPARE(host.command("alias codec - zlib name-1"), QByteArray("ok"));
    QVERIFY(host.waitForSocket());

    Attached a(pidUrl(host));
    EntriesModel model(&a.store);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE_WITH_TIMEOUT(a.state(), int(HealthState::Live), 10000);
    a.store.flush();
    const QSet<QString> expected = host.dump();
    QCOMPARE(expected.size(), 901);
    QCOMPARE(storeEntries(a.store), expected);
    QVERIFY2(a.reason().contains(u"process %1 (attach_test_host)"_s.arg(host.pid())),
             qPrintable(a.reason()));

    // Two registries: a level above tenants.
    QCOMPARE(model.rowCount(), 2);
    const QModelIndex codec = model.index(0, 0);
    QCOMPARE(codec.data().toString(), u"codec"_s);
    QCOMPARE(codec.data(EntriesModel::LevelRole).toInt(), int(EntriesModel::RegistryLevel));
    QCOMPARE(model.index(1, 0).data().toString(), u"driver"_s);
    QCOMPARE(model.rowCount(codec), 4); // (global) and three tenants
    const QModelIndex global = model.index(0, 0, codec);
    QCOMPARE(global.data().toString(), u"(global)"_s);
    QCOMPARE(global.data(EntriesModel::RegistryRole).toString(), u"codec"_s);
    // Each entry says which object registered it (the host's executable here).
    const QModelIndex name = model.indexOf(u"codec#/name-0@1.0.0"_s);
    QVERIFY(name.isValid());
    const QString origin = name.siblingAtColumn(EntriesModel::OriginColumn).data().toString();
    QVERIFY2(origin.startsWith(u"registered by attach_test_host"), qPrintable(origin));
    QCOMPARE(model.entryCount(), 901);

    // Changes after attach arrive as changes.
    QCOMPARE(host.command("fill driver 10"), QByteArray("ok 10"));
    QTRY_COMPARE_WITH_TIMEOUT(a.store.count(RecordKind::Entry), 911, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(hasTimeline(a.store, u"register"), 5000);
    // One metrics sample a second, merged over the registries, named as the demo's.
    const auto latestEntries = [&a] {
        const auto& history = a.store.metricsHistory();
        return history.empty() ? -1.0 : metric::value(history.back(), metric::kEntries);
    };
    QTRY_COMPARE_WITH_TIMEOUT(latestEntries(), 910.0, 5000); // the alias is not an entry
}

void TestAttachApp::streamLosesNothing() {
    AttachHost host;
    QCOMPARE(host.command("fill codec 2000"), QByteArray("ok 2000"));
    QVERIFY(host.waitForSocket());
    Attached a(pidUrl(host));
    QTRY_COMPARE_WITH_TIMEOUT(a.state(), int(HealthState::Live), 10000);
    // 10,000 changes/s for 2 s: two registrations for each removal.
    QCOMPARE(host.command("churn codec 10000 2", 20000), QByteArray("churned 20000"));
    const QSet<QString> expected = host.dump();
    QTRY_COMPARE_WITH_TIMEOUT(a.store.count(RecordKind::Entry), qsizetype(expected.size()), 10000);
    a.store.flush();
    QCOMPARE(storeEntries(a.store), expected);
    QVERIFY(!hasTimeline(a.store, u"resync", u"fell behind"));
}

void TestAttachApp::killGivesDownAndReattachFollows() {
    auto host = std::make_unique<AttachHost>();
    QCOMPARE(host->command("fill codec 300"), QByteArray("ok 300"));
    QVERIFY(host->waitForSocket());
    Attached a(pidUrl(*host, u"?reattach=1"));
    EntriesModel model(&a.store);
    QTRY_COMPARE_WITH_TIMEOUT(a.state(), int(HealthState::Live), 10000);
    // Whatever comes (a kill, a new process's snapshot), the model is changed, never reset.
    QSignalSpy reset(&model, &QAbstractItemModel::modelAboutToBeReset);
    const qint64 firstPid = host->pid();

    // Killed while it streams.
    const quint64 before = a.store.eventsApplied();
    host->process().write("churn codec 5000 5\n");
    QTRY_VERIFY_WITH_TIMEOUT(a.store.eventsApplied() > before + 100, 10000); // it streams
    host->kill();
    const QString exited = u"process %1 (attach_test_host) exited"_s.arg(firstPid);
    QTRY_VERIFY_WITH_TIMEOUT(a.state() == int(HealthState::Down) && a.reason().contains(exited),
                             10000);
    // The last known state stays, greyed.
    QVERIFY(a.store.count(RecordKind::Entry) >= 300);
    QVERIFY(model.isMuted());
    QVERIFY(model.rowCount() > 0);
    QCOMPARE(model.index(0, 0).data(RowStateRole).toInt(), int(ItemState::Muted));

    // The program comes back (another pid, same executable): attached again, its state shown.
    host = std::make_unique<AttachHost>();
    QVERIFY(host->pid() != firstPid);
    QCOMPARE(host->command("fill codec 50"), QByteArray("ok 50"));
    QVERIFY(host->waitForSocket());
    QTRY_COMPARE_WITH_TIMEOUT(a.state(), int(HealthState::Live), 10000);
    QVERIFY2(a.reason().contains(QString::number(host->pid())), qPrintable(a.reason()));
    QTRY_COMPARE_WITH_TIMEOUT(storeEntries(a.store), host->dump(), 5000);
    QVERIFY(!model.isMuted());
    QCOMPARE(model.index(0, 0).data(RowStateRole).toInt(), int(ItemState::Normal));
    QCOMPARE(reset.count(), 0);
}

void TestAttachApp::unixSocketSource() {
    // A program that chose its socket (REGSCOPE_DEBUG_SOCKET) is attached by path.
    const QString path = qEnvironmentVariable("XDG_RUNTIME_DIR") + u"/chosen.sock"_s;
    AttachHost host(u"codec"_s, path);
    QCOMPARE(host.command("fill codec 25"), QByteArray("ok 25"));
    QVERIFY2(host.waitForSocket(), qPrintable(path));
    Attached a(u"unix://"_s + path);
    QTRY_COMPARE_WITH_TIMEOUT(a.state(), int(HealthState::Live), 10000);
    a.store.flush();
    QCOMPARE(storeEntries(a.store), host.dump());
    // Clean exit: the host says it is shutting down, then goes.
    host.quit();
    QTRY_COMPARE_WITH_TIMEOUT(a.state(), int(HealthState::Down), 10000);
    QVERIFY2(a.reason().contains(u"process %1 (attach_test_host) exited"_s.arg(host.pid())),
             qPrintable(a.reason()));
    QCOMPARE(a.store.count(RecordKind::Entry), 25);
}

void TestAttachApp::sixteenClients() {
    AttachHost host(u"codec,driver"_s);
    QCOMPARE(host.command("fill codec 500"), QByteArray("ok 500"));
    QCOMPARE(host.command("fill driver 100"), QByteArray("ok 100"));
    QVERIFY(host.waitForSocket());
    std::vector<std::unique_ptr<Attached>> clients;
    for (int i = 0; i < 16; ++i)
        clients.push_back(std::make_unique<Attached>(pidUrl(host)));
    for (const auto& c : clients)
        QTRY_COMPARE_WITH_TIMEOUT(c->state(), int(HealthState::Live), 15000);
    QCOMPARE(host.command("churn driver 2000 1", 10000), QByteArray("churned 2000"));
    const QSet<QString> expected = host.dump();
    for (const auto& c : clients) {
        QTRY_COMPARE_WITH_TIMEOUT(c->store.count(RecordKind::Entry), qsizetype(expected.size()),
                                  10000);
        c->store.flush();
        QCOMPARE(storeEntries(c->store), expected);
    }
}

void TestAttachApp::wrongProtocolVersionIsRefused() {
    AttachHost host;
    QVERIFY(host.waitForSocket());
    Attached a(pidUrl(host), 2);
    QTRY_COMPARE_WITH_TIMEOUT(a.state(), int(HealthState::Down), 10000);
    QVERIFY2(a.reason().contains(u"host refused the attach"), qPrintable(a.reason()));
    QVERIFY2(a.reason().contains(u"protocol version 2 is not supported"), qPrintable(a.reason()));
    QCOMPARE(a.store.count(RecordKind::Entry), 0);
    // The host is unharmed: a right client attaches.
    Attached b(pidUrl(host));
    QTRY_COMPARE_WITH_TIMEOUT(b.state(), int(HealthState::Live), 10000);
}

void TestAttachApp::noEndpointIsAClearDown() {
    Attached a(u"pid://999999999"_s);
    QTRY_COMPARE_WITH_TIMEOUT(a.state(), int(HealthState::Down), 10000);
    QVERIFY2(a.reason().contains(u"REGSCOPE_DEBUG=1"), qPrintable(a.reason()));
}

void TestAttachApp::listingFindsTheHost() {
    AttachHost host(u"codec,driver"_s);
    QCOMPARE(host.command("fill codec 7"), QByteArray("ok 7"));
    QVERIFY(host.waitForSocket());
    bool found = false;
    for (const QJsonObject& p : attach::listAttachable()) {
        if (p.value(u"pid").toInteger() != host.pid())
            continue;
        found = true;
        QVERIFY(p.value(u"exe").toString().endsWith(u"attach_test_host"));
        QCOMPARE(p.value(u"registries").toArray().size(), 2);
        QCOMPARE(p.value(u"entries").toInteger(), 7);
        QCOMPARE(p.value(u"url").toString(), pidUrl(host));
    }
    QVERIFY(found);
    // --list-attachable prints the same, one JSON object per line.
    QProcess app;
    app.start(QStringLiteral(REGSCOPE_APP), {u"--list-attachable"_s});
    QVERIFY(app.waitForFinished(20000));
    QCOMPARE(app.exitCode(), 0);
    bool listed = false;
    for (const QByteArray& line : app.readAllStandardOutput().split('\n')) {
        if (line.isEmpty())
            continue;
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        QVERIFY2(o.contains(u"pid"), line.constData());
        listed = listed || o.value(u"pid").toInteger() == host.pid();
    }
    QVERIFY(listed);
}

QTEST_GUILESS_MAIN(TestAttachApp)
#include "tst_attach_app.moc"
