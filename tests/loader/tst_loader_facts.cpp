// What the loader knows about a file, whatever happens to it: facts before dlopen (sha256,
// NEEDED, exports, symbol versions, missing dependencies), the loader's own rusage, crash
// frames named after the user's file and symbolised, and the kinds of real plugins nobody
// here wrote (Qt, GStreamer, Python, PAM), all through the real regscope-loader.

#include "connectors/loader/CrashReport.h"
#include "connectors/loader/LoaderClient.h"
#include "tests/loader/LoaderTestSupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;

namespace {

LoaderOptions options() {
    LoaderOptions o;
    o.handshakeTimeoutMs = 5000;
    o.stageTimeoutMs = 5000;
    o.addressSpaceBytes = 512ll << 20;
    return o;
}

// The final verdict (after an unload when it got ready); the ready verdict in *ready.
PluginVerdict run(const QString& path, PluginVerdict* ready = nullptr) {
    LoaderClient client(options());
    QSignalSpy readySpy(&client, &LoaderClient::ready);
    QSignalSpy finished(&client, &LoaderClient::finished);
    client.start(path);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(!readySpy.isEmpty() || !finished.isEmpty(), 20000); }();
    if (!readySpy.isEmpty()) {
        if (ready)
            *ready = readySpy.first().first().value<PluginVerdict>();
        client.unload();
    }
    [&] { QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 20000); }();
    return finished.isEmpty() ? client.verdict() : finished.first().first().value<PluginVerdict>();
}

QStringList strings(const QJsonValue& v) {
    QStringList out;
    for (const auto& item : v.toArray())
        out << item.toString();
    return out;
}

QString systemFile(const QStringList& candidates) {
    for (const QString& c : candidates)
        if (QFile::exists(c))
            return c;
    return {};
}

} // namespace

class LoaderFactsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // A crash in `open` (a static constructor) still reports sha256, NEEDED and exports:
    // they were sent before dlopen. The frames name the user's file, not /proc/self/fd/N.
    void crashInOpenKeepsTheFacts() {
        const QString path = fixture("fixture_debug_segv");
        const auto v = run(path);
        QCOMPARE(toString(v.state), toString(PluginState::Crashed));
        QCOMPARE(v.stage, loader::Stage::Open);
        QCOMPARE(v.factsSource, u"loader"_s);
        QCOMPARE(v.facts.value("sha256"_L1).toString().size(), 64);
        QVERIFY(strings(v.facts.value("needed"_L1)).contains(u"libc.so.6"_s));
        QVERIFY(strings(v.facts.value("exports"_L1)).contains(u"regscope_plugin_entry"_s));
        QCOMPARE(v.kind(), u"regscope"_s);
        QCOMPARE(v.facts.value("elfClass"_L1).toString(), u"ELF64"_s);
        QCOMPARE(v.facts.value("machine"_L1).toString(), u"x86-64"_s);
        QCOMPARE(v.facts.value("buildId"_L1).toString().size(), 40);
        // Undefined symbols carry the version they require.
        const QStringList undefined = strings(v.facts.value("undefined"_L1));
        QVERIFY2(std::any_of(undefined.begin(), undefined.end(),
                             [](const QString& s) { return s.contains(u"@GLIBC_2."_s); }),
                 qPrintable(undefined.join(u' ')));
        QVERIFY(v.facts.value("missing"_L1).toArray().isEmpty());
        // The frames are named after the plugin's path; one of them is the culprit.
        QVERIFY(!v.frames.empty());
        const CrashFrame* culprit = v.culpritFrame();
        QVERIFY(culprit);
        QCOMPARE(culprit->module, path);
        QVERIFY(!v.stderrTail.contains(u"/proc/self/fd/"_s));
        QVERIFY(!v.backtraceTail.join(u'\n').contains(u"/proc/self/fd/"_s));
        // The loader's own rusage (a few MiB), not regscope's.
        QVERIFY2(v.peakRssKiB > 0 && v.peakRssKiB < 64 * 1024,
                 qPrintable(QString::number(v.peakRssKiB)));
        QVERIFY(v.cpuMs >= 0);
    }

    // Built with -O0 -g: the symbolised culprit is crash_null() at its line in fault_plugin.c.
    void symbolisedFrameNamesFunctionAndLine() {
        const auto v = run(fixture("fixture_debug_segv"));
        QCOMPARE(v.signal, SIGSEGV);
        const CrashFrame* culprit = v.culpritFrame();
        QVERIFY(culprit);
        QCOMPARE(culprit->function, u"crash_null"_s);
        QVERIFY2(culprit->file.endsWith(u"fault_plugin.c"_s), qPrintable(culprit->file));
        QFile source(QStringLiteral(REGSCOPE_DEMO_SOURCE_DIR) + u"/fault_plugin.c"_s);
        QVERIFY(source.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(source.readAll()).split(u'\n');
        QVERIFY(culprit->line > 0 && culprit->line <= lines.size());
        QVERIFY2(lines[culprit->line - 1].contains(u"*p = 42"_s),
                 qPrintable(lines[culprit->line - 1]));
        QVERIFY2(v.headline().contains(u"crash_null() at fault_plugin.c:%1"_s.arg(culprit->line)),
                 qPrintable(v.headline()));
    }

    // The app reads the facts itself when the loader sent none (a loader that never started).
    void appReadsTheFactsWhenTheLoaderCannot() {
        auto o = options();
        o.loaderPath = u"/bin/false"_s;
        LoaderClient client(o);
        QSignalSpy finished(&client, &LoaderClient::finished);
        client.start(fixture("fixture_debug_segv"));
        QVERIFY(finished.wait(10000));
        const auto v = finished.first().first().value<PluginVerdict>();
        QCOMPARE(v.factsSource, u"app"_s);
        QVERIFY(strings(v.facts.value("needed"_L1)).contains(u"libc.so.6"_s));
        QVERIFY(strings(v.facts.value("exports"_L1)).contains(u"regscope_plugin_entry"_s));
        // Unknown, with a reason, never an empty list that reads as "none".
        QVERIFY(v.peakRssKiB < 0);
        QVERIFY(v.toJson().value("peakRssKiB"_L1).isNull());
        QVERIFY(
            !v.toJson().value("unknown"_L1).toObject().value("peakRssKiB"_L1).toString().isEmpty());
    }

    void notElfSaysSoWithReasons() {
        auto dir = privateDir();
        const QString path = dir->filePath(u"notes.so"_s);
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is text, not a shared object\n");
        f.close();
        const auto v = run(path);
        QCOMPARE(toString(v.state), toString(PluginState::Refused));
        QCOMPARE(v.error, loader::LoaderError::NotElf);
        QCOMPARE(v.kind(), u"not_elf"_s);
        QVERIFY(v.facts.value("needed"_L1).isNull());
        QCOMPARE(v.facts.value("unknown"_L1).toObject().value("needed"_L1).toString(),
                 u"not an ELF file"_s);
        QVERIFY(v.toJson().value("needed"_L1).isNull());
        QCOMPARE(v.facts.value("sha256"_L1).toString().size(), 64);
    }

    void missingDependencyIsFoundWithoutLoading() {
        const auto v = run(fixture("fixture_missing_dep"));
        const QJsonArray missing = v.facts.value("missing"_L1).toArray();
        QCOMPARE(missing.size(), 1);
        QCOMPARE(missing.first().toObject().value("name"_L1).toString(),
                 u"libregscope_fixture_dep.so"_s);
        QCOMPARE(v.error, loader::LoaderError::DlopenFailed);
        QVERIFY2(v.headline().contains(u"libregscope_fixture_dep.so"_s), qPrintable(v.headline()));
    }

    // dlopen's error names the user's file; the headline says what it means.
    void dlopenErrorNamesTheUsersPath() {
        const QString path = fixture("fixture_undefined");
        const auto v = run(path);
        QCOMPARE(v.error, loader::LoaderError::DlopenFailed);
        QVERIFY2(v.detail.contains(path), qPrintable(v.detail));
        QVERIFY(!v.detail.contains(u"/proc/self/fd"_s));
        QVERIFY2(v.headline().contains(u"an undefined symbol: regscope_fixture_nowhere"_s),
                 qPrintable(v.headline()));
    }

    // ASan exits from the library's static initialiser: the headline says why.
    void asanRuntimeMustComeFirst() {
        const auto v = run(fixture("fixture_asan"));
#if defined(__SANITIZE_ADDRESS__)
        // This build's loader runs under ASan itself: its runtime is first, so the fixture
        // loads like any library. What is checked is that it is not misread as a crash.
        QVERIFY2(v.state != PluginState::Crashed, qPrintable(v.headline()));
        QVERIFY(!v.headline().contains(u"the ASan runtime must come first"_s));
        return;
#endif
        QCOMPARE(toString(v.state), toString(PluginState::Crashed));
        QCOMPARE(v.error, loader::LoaderError::Exited);
        QVERIFY2(v.headline().contains(u"the ASan runtime must come first"_s),
                 qPrintable(v.headline()));
        QVERIFY(!v.headline().contains(u"called exit()"_s));
    }

    void qtPlatformPlugins_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("className");
        QTest::newRow("offscreen") << u"libqoffscreen.so"_s << u"QOffscreenIntegrationPlugin"_s;
        QTest::newRow("xcb") << u"libqxcb.so"_s << u"QXcbIntegrationPlugin"_s;
    }
    void qtPlatformPlugins() {
        QFETCH(QString, file);
        QFETCH(QString, className);
        const QString path =
            systemFile({u"/usr/lib/x86_64-linux-gnu/qt6/plugins/platforms/"_s + file});
        QVERIFY2(!path.isEmpty(), "qt6-base (libqt6gui6) platform plugins are installed");
        PluginVerdict ready;
        run(path, &ready);
        QCOMPARE(toString(ready.state), toString(PluginState::Ready));
        QCOMPARE(ready.kind(), u"qt"_s);
        const QJsonObject k = ready.facts.value("kind"_L1).toObject();
        QCOMPARE(k.value("iid"_L1).toString(),
                 u"org.qt-project.Qt.QPA.QPlatformIntegrationFactoryInterface.5.3"_s);
        QCOMPARE(k.value("className"_L1).toString(), className);
        QVERIFY(k.value("qtVersion"_L1).toString().startsWith(u"6."_s));
        QVERIFY(k.value("metaData"_L1).toObject().value("Keys"_L1).isArray());
        QVERIFY(ready.kindDescription().contains(className));
    }

    void gstreamerPlugin() {
        const QString path =
            systemFile({u"/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstcoreelements.so"_s});
        QVERIFY2(!path.isEmpty(), "libgstreamer1.0-0 is installed");
        PluginVerdict ready;
        run(path, &ready);
        QCOMPARE(ready.kind(), u"gstreamer"_s);
        const QJsonObject k = ready.facts.value("kind"_L1).toObject();
        QCOMPARE(k.value("name"_L1).toString(), u"coreelements"_s);
        QCOMPARE(k.value("license"_L1).toString(), u"LGPL"_s);
        QCOMPARE(k.value("source"_L1).toString(), u"gstreamer"_s);
        QVERIFY(!k.value("version"_L1).toString().isEmpty());
        QVERIFY(!k.value("origin"_L1).toString().isEmpty());
    }

    void pythonExtensionModule() {
        const QStringList dynload = QDir(u"/usr/lib/python3.11/lib-dynload"_s)
                                        .entryList({u"_ssl.cpython-*.so"_s}, QDir::Files);
        QVERIFY2(!dynload.isEmpty(), "python3.11 lib-dynload is installed");
        // It cannot load outside python (the interpreter provides its Py* symbols), and the
        // verdict says so; the facts, read before dlopen, still say what it is.
        const auto v = run(u"/usr/lib/python3.11/lib-dynload/"_s + dynload.first());
        QCOMPARE(v.error, loader::LoaderError::DlopenFailed);
        QVERIFY2(v.headline().contains(u"Python interpreter"_s), qPrintable(v.headline()));
        QCOMPARE(v.kind(), u"python"_s);
        const QJsonObject k = v.facts.value("kind"_L1).toObject();
        QCOMPARE(k.value("module"_L1).toString(), u"_ssl"_s);
        QCOMPARE(k.value("abiTag"_L1).toString(), u"cpython-311-x86_64-linux-gnu"_s);
    }

    void pamModule() {
        const QString path = systemFile({u"/usr/lib/x86_64-linux-gnu/security/pam_unix.so"_s,
                                         u"/lib/x86_64-linux-gnu/security/pam_unix.so"_s});
        QVERIFY2(!path.isEmpty(), "libpam-modules is installed");
        PluginVerdict ready;
        run(path, &ready);
        QCOMPARE(ready.kind(), u"pam"_s);
        const QStringList provides =
            strings(ready.facts.value("kind"_L1).toObject().value("provides"_L1));
        QVERIFY(provides.contains(u"pam_sm_authenticate"_s));
        QVERIFY(provides.contains(u"pam_sm_chauthtok"_s));
        QVERIFY(ready.kindDescription().startsWith(u"a PAM module"_s));
    }

    void plainSharedObject() {
        PluginVerdict ready;
        run(fixture("fixture_no_entry"), &ready);
        QCOMPARE(ready.kind(), u"plain"_s);
        QVERIFY(ready.headline().contains(u"a plain shared object"_s));
    }
};

QTEST_GUILESS_MAIN(LoaderFactsTest)
#include "tst_loader_facts.moc"
