// go-plugin (HashiCorp RPC) binaries built in the build from Debian's Go packages: the build
// info read without running them, then the handshake in the sandbox with the magic cookie
// (netrpc reported, grpc asked over grpc.health.v1), a wrong cookie, a wrong protocol version,
// no cookie at all, and a built-in host cookie found in the binary.

#include "connectors/loader/CrashReport.h"
#include "connectors/loader/LoaderClient.h"

#include <QFile>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

QString goFixture(const char* kind) {
    return QStringLiteral(REGSCOPE_FIXTURE_DIR) + u"/goplugin_"_s + QLatin1StringView(kind);
}

LoaderOptions withCookie(const QString& value = u"greeter-7a1b"_s) {
    LoaderOptions o;
    o.stageTimeoutMs = 8000;
    o.pluginCookieKey = u"REGSCOPE_TEST_PLUGIN"_s;
    o.pluginCookieValue = value;
    return o;
}

// Ready (then unloaded) or refused: the verdict that says what the probe saw.
PluginVerdict probe(const QString& path, const LoaderOptions& options) {
    LoaderClient client(options);
    QSignalSpy ready(&client, &LoaderClient::ready);
    QSignalSpy finished(&client, &LoaderClient::finished);
    client.start(path);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(!ready.isEmpty() || !finished.isEmpty(), 30000); }();
    if (!ready.isEmpty()) {
        const auto v = ready.first().first().value<PluginVerdict>();
        client.unload();
        [&] { QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 10000); }();
        return v;
    }
    return finished.first().first().value<PluginVerdict>();
}

QJsonObject handshake(const PluginVerdict& v) {
    return v.probe.value("handshake"_L1).toObject();
}

} // namespace

class LoaderGoPluginTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void buildInfoWithoutRunning() {
        const QJsonObject facts = readFactsInApp(goFixture("netrpc"));
        const QJsonObject kind = facts.value("kind"_L1).toObject();
        QCOMPARE(kind.value("kind"_L1).toString(), u"go-plugin"_s);
        QVERIFY(kind.value("goVersion"_L1).toString().startsWith(u"go1."_s));
        QVERIFY(kind.value("path"_L1).toString().endsWith(u"goplugin/netrpc"_s));
        // GOPATH builds record no module versions: unknown, with the reason.
        QVERIFY(kind.value("goPluginVersion"_L1).isNull());
        QVERIFY(kind.value("unknown"_L1).toObject().value("goPluginVersion"_L1).isString());
        QCOMPARE(facts.value("elfType"_L1).toString(), u"executable"_s);
    }

    void withoutACookieItSaysWhatItNeeds() {
        LoaderOptions o;
        const auto v = probe(goFixture("netrpc"), o);
        QCOMPARE(toString(v.state), toString(PluginState::Refused));
        QCOMPARE(v.error, loader::LoaderError::NeedsCookie);
        QCOMPARE(v.stage, loader::Stage::Probe);
        QVERIFY2(v.headline().contains(u"needs its host's magic cookie"_s),
                 qPrintable(v.headline()));
        QCOMPARE(v.kind(), u"go-plugin"_s);
    }

    void netrpcHandshake() {
        const auto v = probe(goFixture("netrpc"), withCookie());
        QVERIFY2(v.state == PluginState::Ready, qPrintable(v.headline()));
        const QJsonObject hs = handshake(v);
        QCOMPARE(hs.value("core"_L1).toString(), u"1"_s);
        QCOMPARE(hs.value("app"_L1).toString(), u"1"_s);
        QCOMPARE(hs.value("network"_L1).toString(), u"unix"_s);
        QCOMPARE(hs.value("protocol"_L1).toString(), u"netrpc"_s);
        QVERIFY(v.headline().contains(u"net/rpc plugin"_s));
        // It was killed and its socket removed.
        QVERIFY(!QFile::exists(hs.value("address"_L1).toString()));
    }

    void grpcHandshakeAndHealth() {
        const auto v = probe(goFixture("grpc"), withCookie());
        QVERIFY2(v.state == PluginState::Ready, qPrintable(v.headline()));
        const QJsonObject hs = handshake(v);
        QCOMPARE(hs.value("protocol"_L1).toString(), u"grpc"_s);
        QCOMPARE(hs.value("app"_L1).toString(), u"3"_s);
        QCOMPARE(v.probe.value("health"_L1).toObject().value("status"_L1).toString(), u"SERVING"_s);
        QVERIFY2(v.headline().contains(u"grpc.health.v1 says SERVING"_s), qPrintable(v.headline()));
    }

    void wrongCookieIsRefusedByThePlugin() {
        const auto v = probe(goFixture("grpc"), withCookie(u"not-the-cookie"_s));
        QCOMPARE(toString(v.state), toString(PluginState::Refused));
        QCOMPARE(v.error, loader::LoaderError::HandshakeRefused);
        QCOMPARE(v.probe.value("outcome"_L1).toString(), u"cookie_refused"_s);
        QVERIFY2(v.headline().contains(u"refused the magic cookie"_s), qPrintable(v.headline()));
    }

    void wrongProtocolVersionInWords() {
        auto o = withCookie();
        o.pluginProtocol = 2;
        const auto v = probe(goFixture("netrpc"), o);
        QCOMPARE(v.error, loader::LoaderError::HandshakeRefused);
        QCOMPARE(v.probe.value("outcome"_L1).toString(), u"protocol_mismatch"_s);
        QVERIFY2(v.headline().contains(u"protocol mismatch: the plugin speaks app protocol "
                                       "version 1 (netrpc), the host expects version 2"_s),
                 qPrintable(v.headline()));
    }

    // No cookie given, but the binary names Terraform's cookie key: the built-in one is used.
    void builtInHostCookie() {
        LoaderOptions o;
        o.stageTimeoutMs = 8000;
        const auto v = probe(goFixture("builtin"), o);
        QVERIFY2(v.state == PluginState::Ready, qPrintable(v.headline()));
        QCOMPARE(v.probe.value("cookie"_L1).toObject().value("source"_L1).toString(),
                 u"built-in (Terraform)"_s);
        QCOMPARE(handshake(v).value("app"_L1).toString(), u"5"_s);
    }
};

QTEST_GUILESS_MAIN(LoaderGoPluginTest)
#include "tst_loader_goplugin.moc"
