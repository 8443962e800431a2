// The fault catalogue: every fixture plugin against the real regscope-loader. Each test
// asserts the verdict; cleanup() asserts that the next load in this process still works.

#include "connectors/loader/Inspect.h"
#include "connectors/loader/LoaderClient.h"
#include "tests/loader/LoaderTestSupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextStream>

#include <sodium.h>

#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;

namespace {

LoaderOptions fastOptions() {
    LoaderOptions o;
    o.handshakeTimeoutMs = 5000;
    o.stageTimeoutMs = 5000;
    o.invokeTimeoutMs = 5000;
    o.addressSpaceBytes = 256ll << 20;
    return o;
}

// Loads and, if it gets ready, unloads: returns the Ready verdict or the final one.
PluginVerdict load(const QString& path, const LoaderOptions& options = fastOptions()) {
    LoaderClient client(options);
    QSignalSpy ready(&client, &LoaderClient::ready);
    QSignalSpy finished(&client, &LoaderClient::finished);
    client.start(path);
    [&] { QTRY_VERIFY_WITH_TIMEOUT(!ready.isEmpty() || !finished.isEmpty(), 20000); }();
    if (!ready.isEmpty()) {
        const auto verdict = ready.first().first().value<PluginVerdict>();
        client.unload();
        [&] { QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 10000); }();
        if (!finished.isEmpty()) {
            const auto last = finished.first().first().value<PluginVerdict>();
            [&] { QCOMPARE(toString(last.state), toString(PluginState::Unloaded)); }();
        }
        return verdict;
    }
    return finished.isEmpty() ? client.verdict() : finished.first().first().value<PluginVerdict>();
}

} // namespace

class LoaderFaultsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(sodium_init() >= 0); }

    // After every fault, the next load in this same test process must work.
    void cleanup() {
        const auto verdict = load(fixture("fixture_codec"));
        QCOMPARE(toString(verdict.state), toString(PluginState::Ready));
        QCOMPARE(verdict.registrations.size(), size_t(3));
    }

    void goodPluginReportsEverything() {
        auto options = fastOptions();
        options.knownNames = {u"rot13"_s};
        const auto v = load(fixture("fixture_codec"), options);
        QCOMPARE(toString(v.state), toString(PluginState::Ready));
        QVERIFY(v.clean());
        QCOMPARE(v.pluginName, u"codec-demo"_s);
        QVERIFY(v.entryPoint);
        QCOMPARE(v.stages.size(), size_t(5));
        QCOMPARE(v.stages.front().stage, u"verify"_s);
        QVERIFY(v.symbols.contains(u"regscope_plugin_entry"_s));
        QCOMPARE(v.collisions, QStringList{u"rot13"_s});
        QVERIFY(v.registrations.front().collision);
        QVERIFY(v.rssKiB > 0);
        QVERIFY(!v.sha256.isEmpty());
    }

    void invokeRoundTrip() {
        LoaderClient client(fastOptions());
        QSignalSpy ready(&client, &LoaderClient::ready);
        QSignalSpy results(&client, &LoaderClient::invokeFinished);
        client.start(fixture("fixture_codec"));
        QVERIFY(ready.wait(10000));
        client.invoke(u"rot13"_s, "Hello");
        client.invoke(u"identity"_s, "x");
        client.invoke(u"nope"_s, "x");
        QTRY_COMPARE_WITH_TIMEOUT(results.size(), 3, 10000);
        const auto r0 = results.at(0).first().value<InvokeResult>();
        QVERIFY(r0.ok);
        QCOMPARE(r0.output, QByteArray("Uryyb"));
        QCOMPARE(results.at(1).first().value<InvokeResult>().errorCode, u"no_process"_s);
        QCOMPARE(results.at(2).first().value<InvokeResult>().errorCode, u"unknown_name"_s);
    }

    void segvInStaticConstructor() {
        const auto v = load(fixture("fixture_ctor_segv"));
        QCOMPARE(toString(v.state), toString(PluginState::Crashed));
        QCOMPARE(v.error, loader::LoaderError::Signal);
        QCOMPARE(v.signal, SIGSEGV);
        QVERIFY(!v.coreDumped); // RLIMIT_CORE = 0
        QCOMPARE(v.stage, loader::Stage::Open);
        QVERIFY(v.hasFaultAddress);
        QCOMPARE(v.faultAddress, quint64(0));
        QVERIFY(!v.backtraceTail.isEmpty());
        QVERIFY(v.headline().startsWith(u"SIGSEGV (fault address 0x0) in stage `open`"_s));
    }

    void segvInsideProcess() {
        LoaderClient client(fastOptions());
        QSignalSpy ready(&client, &LoaderClient::ready);
        QSignalSpy results(&client, &LoaderClient::invokeFinished);
        QSignalSpy finished(&client, &LoaderClient::finished);
        client.start(fixture("fixture_process_segv"));
        QVERIFY(ready.wait(10000));
        client.invoke(u"fault-process-segv"_s, "boom");
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QCOMPARE(results.size(), 1);
        QCOMPARE(results.first().first().value<InvokeResult>().errorCode, u"crashed"_s);
        const auto v = finished.first().first().value<PluginVerdict>();
        QCOMPARE(toString(v.state), toString(PluginState::Crashed));
        QCOMPARE(v.signal, SIGSEGV);
        QCOMPARE(v.stage, loader::Stage::Invoke);
    }

    // The loader dies under us while we write to it: the app must get EPIPE, not SIGPIPE.
    void writeToADeadLoaderIsSafe() {
        LoaderClient client(fastOptions());
        QSignalSpy ready(&client, &LoaderClient::ready);
        QSignalSpy results(&client, &LoaderClient::invokeFinished);
        QSignalSpy finished(&client, &LoaderClient::finished);
        client.start(fixture("fixture_codec"));
        QVERIFY(ready.wait(10000));
        const auto pid = static_cast<pid_t>(client.verdict().pid);
        QCOMPARE(::kill(pid, SIGKILL), 0);
        siginfo_t info{};
        // WNOWAIT: dead but not reaped, so the client still learns it from its pidfd.
        QCOMPARE(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);
        client.invoke(u"rot13"_s, QByteArray(256 * 1024, 'x')); // more than a pipe buffer
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QCOMPARE(results.size(), 1);
        QCOMPARE(results.first().first().value<InvokeResult>().errorCode, u"crashed"_s);
        const auto v = finished.first().first().value<PluginVerdict>();
        QCOMPARE(toString(v.state), toString(PluginState::Crashed));
        QCOMPARE(v.signal, SIGKILL);
    }

    void abortInInit() {
        const auto v = load(fixture("fixture_abort"));
        QCOMPARE(toString(v.state), toString(PluginState::Crashed));
        QCOMPARE(v.signal, SIGABRT);
        QCOMPARE(v.stage, loader::Stage::Register);
    }

    void infiniteLoopHitsTheDeadline() {
        auto options = fastOptions();
        options.stageTimeoutMs = 300;
        const auto v = load(fixture("fixture_ctor_loop"), options);
        QCOMPARE(toString(v.state), toString(PluginState::TimedOut));
        QCOMPARE(v.error, loader::LoaderError::Deadline);
        QCOMPARE(v.stage, loader::Stage::Open);
        QCOMPARE(v.signal, SIGKILL);
    }

    void memoryBombStopsAtRlimitAs() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
        QSKIP("sanitizer builds run the loader without RLIMIT_AS (shadow memory)");
#endif
        const auto v = load(fixture("fixture_memory_bomb"));
        QCOMPARE(toString(v.state), toString(PluginState::Crashed));
        QCOMPARE(v.signal, SIGABRT);
        QCOMPARE(v.stage, loader::Stage::Register);
        QCOMPARE(v.addressSpaceLimit, 256ll << 20);
    }

    void forkIsBlocked() {
        const auto v = load(fixture("fixture_fork"));
        QCOMPARE(toString(v.state), toString(PluginState::Ready));
        QCOMPARE(v.blocked, QStringList{u"fork ×1"_s});
        QVERIFY(!v.clean());
    }

    void networkIsBlocked() {
        const auto v = load(fixture("fixture_socket"));
        QCOMPARE(toString(v.state), toString(PluginState::Ready));
        QCOMPARE(v.blocked, QStringList{u"socket ×1"_s});
    }

    void stdoutGarbageIsAProtocolError() {
        const auto v = load(fixture("fixture_stdout_garbage"));
        QCOMPARE(toString(v.state), toString(PluginState::Crashed));
        QCOMPARE(v.error, loader::LoaderError::ProtocolError);
        QCOMPARE(v.signal, SIGKILL); // we killed it
        // Plain printf() went to stderr, not into the protocol.
        QVERIFY(v.stderrTail.contains(u"GARBAGE FROM THE PLUGIN"_s));
    }

    void exitDuringLoad() {
        const auto v = load(fixture("fixture_exit"));
        QCOMPARE(toString(v.state), toString(PluginState::Crashed));
        QCOMPARE(v.error, loader::LoaderError::Exited);
        QCOMPARE(v.exitStatus, 0);
        QCOMPARE(v.stage, loader::Stage::Open);
    }

    void wrongAbiIsRefused() {
        const auto v = load(fixture("fixture_wrong_abi"));
        QCOMPARE(toString(v.state), toString(PluginState::Refused));
        QCOMPARE(v.error, loader::LoaderError::WrongAbi);
        QCOMPARE(v.stage, loader::Stage::Resolve);
        QCOMPARE(v.abiVersion, 999);
    }

    void missingEntryPointIsInspected() {
        const auto v = load(fixture("fixture_no_entry"));
        QCOMPARE(toString(v.state), toString(PluginState::Ready));
        QVERIFY(!v.entryPoint);
        QVERIFY(v.registrations.empty());
        QVERIFY(v.symbols.contains(u"plain_library_hypot"_s));
        QVERIFY(v.needed.contains(u"libm.so.6"_s));
    }

    void signatures() {
        auto dir = privateDir();
        const QString so = copyInto(*dir, fixture("fixture_codec"), u"signed.so"_s);
        QVERIFY(!so.isEmpty());
        unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
        crypto_sign_keypair(pk, sk);
        auto options = fastOptions();
        options.requireSignature = true;
        options.trustedKeysHex = {
            QString::fromLatin1(QByteArray(reinterpret_cast<const char*>(pk), sizeof pk).toHex())};

        // Unsigned in signed-only mode.
        auto v = load(so, options);
        QCOMPARE(toString(v.state), toString(PluginState::Refused));
        QCOMPARE(v.error, loader::LoaderError::Unsigned);
        QCOMPARE(v.stage, loader::Stage::Verify);

        // Signed: accepted.
        QFile file(so);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        file.close();
        unsigned char sig[crypto_sign_BYTES];
        crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<unsigned long long>(bytes.size()), sk);
        QFile sigFile(so + u".sig"_s);
        QVERIFY(sigFile.open(QIODevice::WriteOnly));
        sigFile.write(QByteArray(reinterpret_cast<const char*>(sig), sizeof sig).toHex());
        sigFile.close();
        v = load(so, options);
        QCOMPARE(toString(v.state), toString(PluginState::Ready));
        QCOMPARE(v.signatureStatus, u"valid"_s);

        // Tampered: one byte appended after signing.
        QVERIFY(file.open(QIODevice::Append));
        file.write("\0", 1);
        file.close();
        v = load(so, options);
        QCOMPARE(toString(v.state), toString(PluginState::Refused));
        QCOMPARE(v.error, loader::LoaderError::BadSignature);
    }

    void worldWritableFileIsRefused() {
        auto dir = privateDir();
        const QString so = copyInto(*dir, fixture("fixture_codec"), u"ww.so"_s);
        ::chmod(QFile::encodeName(so).constData(), 0666);
        const auto v = load(so);
        QCOMPARE(toString(v.state), toString(PluginState::Refused));
        QCOMPARE(v.error, loader::LoaderError::WorldWritable);
    }

    void worldWritableDirectoryIsRefused() {
        auto dir = privateDir();
        const QString so = copyInto(*dir, fixture("fixture_codec"), u"in-ww-dir.so"_s);
        ::chmod(QFile::encodeName(dir->path()).constData(), 0777);
        const auto v = load(so);
        QCOMPARE(toString(v.state), toString(PluginState::Refused));
        QCOMPARE(v.error, loader::LoaderError::WorldWritableDir);
    }

    // The file is pinned by fd at verify: swapping the symlink afterwards changes nothing.
    void symlinkSwappedAfterVerify() {
        auto dir = privateDir();
        const QString good = copyInto(*dir, fixture("fixture_codec"), u"good.so"_s);
        const QString evil = copyInto(*dir, fixture("fixture_ctor_segv"), u"evil.so"_s);
        const QString link = dir->filePath(u"plugin.so"_s);
        QVERIFY(QFile::link(good, link));
        auto options = fastOptions();
        options.pauseAfterVerify = true;
        LoaderClient client(options);
        QSignalSpy ready(&client, &LoaderClient::ready);
        QSignalSpy finished(&client, &LoaderClient::finished);
        connect(&client, &LoaderClient::stageFinished, this, [&](loader::Stage stage, bool ok) {
            if (stage != loader::Stage::Verify || !ok)
                return;
            const QString tmp = dir->filePath(u"swap.so"_s);
            QFile::link(evil, tmp);
            ::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(link).constData());
            client.resume();
        });
        client.start(link);
        QVERIFY(ready.wait(10000));
        const auto v = ready.first().first().value<PluginVerdict>();
        QCOMPARE(v.pluginName, u"codec-demo"_s);
        QCOMPARE(QFile::symLinkTarget(link), evil); // the swap did happen
        client.unload();
        QVERIFY(finished.wait(10000));
    }

    void unloadWhilePausedEndsCleanly() {
        auto options = fastOptions();
        options.pauseAfterVerify = true;
        LoaderClient client(options);
        QSignalSpy finished(&client, &LoaderClient::finished);
        connect(&client, &LoaderClient::stageFinished, this, [&](loader::Stage stage) {
            if (stage == loader::Stage::Verify)
                client.unload();
        });
        client.start(fixture("fixture_codec"));
        QVERIFY(finished.wait(10000));
        const auto v = finished.first().first().value<PluginVerdict>();
        QCOMPARE(toString(v.state), toString(PluginState::Unloaded));
        QCOMPARE(v.exitStatus, 0);
    }

    void handshakeGarbageIsRefused() {
        auto options = fastOptions();
        options.loaderPath = u"/bin/echo"_s; // prints an empty line, not a handshake
        const auto v = load(fixture("fixture_codec"), options);
        QCOMPARE(toString(v.state), toString(PluginState::Refused));
        QCOMPARE(v.error, loader::LoaderError::HandshakeGarbage);
    }

    void handshakeVersionMismatchIsRefused() {
        auto dir = privateDir();
        const QString script = dir->filePath(u"old-loader.sh"_s);
        QFile file(script);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("#!/bin/sh\necho \"2|0.0.1|stdio|$$|json\"\nread line\n");
        file.close();
        ::chmod(QFile::encodeName(script).constData(), 0755);
        auto options = fastOptions();
        options.loaderPath = script;
        const auto v = load(fixture("fixture_codec"), options);
        QCOMPARE(toString(v.state), toString(PluginState::Refused));
        QCOMPARE(v.error, loader::LoaderError::HandshakeVersion);
    }

    void loaderRefusesToRunWithoutCookie() {
        QProcess process;
        process.setProcessEnvironment(QProcessEnvironment());
        process.start(regscopeLoaderPath(), {});
        QVERIFY(process.waitForFinished(10000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 1);
        QVERIFY(process.readAllStandardOutput().isEmpty());
    }

    void inspectPrintsJsonAndExitCode() {
        QString text;
        QTextStream out(&text);
        QCOMPARE(runInspect(fixture("fixture_codec"), out, fastOptions()), 0);
        auto json = QJsonDocument::fromJson(text.toUtf8()).object();
        QCOMPARE(json.value("state"_L1).toString(), u"Ready"_s);
        QCOMPARE(json.value("registrations"_L1).toArray().size(), 3);

        text.clear();
        QCOMPARE(runInspect(fixture("fixture_ctor_segv"), out, fastOptions()), 2);
        json = QJsonDocument::fromJson(text.toUtf8()).object();
        QCOMPARE(json.value("state"_L1).toString(), u"Crashed"_s);
        QCOMPARE(json.value("crash"_L1).toObject().value("signal"_L1).toInt(), SIGSEGV);
    }
};

QTEST_GUILESS_MAIN(LoaderFaultsTest)
#include "tst_loader_faults.moc"
