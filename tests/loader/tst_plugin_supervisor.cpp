// PluginSupervisor → Store → PluginModel against the real loader: directory watching, reload that
// replaces the old loader only once ready, crash-loop stop, unload, invoke, timeline, log.

#include "tests/loader/LoaderTestSupport.h"
#include "tests/loader/PluginHarness.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <csignal>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;

namespace {

SupervisorOptions options() {
    SupervisorOptions o;
    o.loader.stageTimeoutMs = 5000;
    o.loader.addressSpaceBytes = 256ll << 20;
    o.retryDelayMs = 10;
    return o;
}

PluginState stateOf(const PluginModel& model, const QString& path) {
    const PluginRow* row = model.find(path);
    return row ? row->state : PluginState::Verifying;
}

// The demo codec copied into a private directory (so a test can replace the file) and
// loading, with automatic retries off: where the reload tests start.
struct LoadingCodec {
    explicit LoadingCodec(const QString& name)
        : dir(privateDir())
        , path(copyInto(*dir, fixture("fixture_codec"), name))
        , h([] {
            auto o = options();
            o.autoRetry = false;
            return o;
        }()) {
        h.supervisor.loadFile(path);
    }
    void replaceWith(const char* fixtureName) const {
        copyInto(*dir, fixture(fixtureName), QFileInfo(path).fileName());
    }
    std::unique_ptr<QTemporaryDir> dir;
    QString path;
    PluginHarness h;
};

} // namespace

class PluginSupervisorTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void directoryIsWatched() {
        auto dir = privateDir();
        const QString codec = copyInto(*dir, fixture("fixture_codec"), u"codec.so"_s);
        auto opts = options();
        opts.logFilePath = dir->filePath(u"plugins.log"_s);
        PluginHarness h(opts);
        auto& model = h.model;
        auto& supervisor = h.supervisor;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy timeline(&h.store, &Store::timelineAppended);
        supervisor.loadDirectory(dir->path());
        QTRY_COMPARE_WITH_TIMEOUT(toString(stateOf(model, codec)), toString(PluginState::Ready),
                                  10000);

        // A new plugin dropped into the directory shows up on its own.
        const QString fork = copyInto(*dir, fixture("fixture_fork"), u"fork.so"_s);
        QTRY_COMPARE_WITH_TIMEOUT(toString(stateOf(model, fork)), toString(PluginState::Ready),
                                  10000);
        QCOMPARE(model.rowCount(), 2);

        // A changed plugin is reloaded: the new loader replaces the old one once ready.
        copyInto(*dir, fixture("fixture_no_entry"), u"codec.so"_s);
        // The new build waits beside the running one, with what it changes, until accepted.
        QTRY_VERIFY_WITH_TIMEOUT(model.find(codec)->candidate, 10000);
        QVERIFY(model.find(codec)->verdict.entryPoint); // still the running build
        const QString note = model.find(codec)->candidate->diff;
        QVERIFY2(note.contains(u"exports "_s) && note.contains(u"−regscope_plugin_entry"_s),
                 qPrintable(note));
        QVERIFY2(note.contains(u"NEEDED +libm.so.6"_s), qPrintable(note));
        QVERIFY2(note.contains(u"registrations −rot13"_s), qPrintable(note));
        QVERIFY2(note.contains(u"version "_s), qPrintable(note));
        supervisor.acceptReload(codec);
        QTRY_VERIFY_WITH_TIMEOUT(!model.find(codec)->verdict.entryPoint, 10000);
        QVERIFY(!model.find(codec)->candidate);
        QCOMPARE(model.find(codec)->note, note);
        QCOMPARE(toString(stateOf(model, codec)), toString(PluginState::Ready));

        QVERIFY(!timeline.isEmpty());
        const auto first = timeline.first().first().value<QList<TimelineEvent>>().first();
        QCOMPARE(first.category, u"plugin"_s);
        // The log file is written on its own thread.
        QTRY_VERIFY_WITH_TIMEOUT(QFile(opts.logFilePath).size() > 0, 5000);
    }

    // Collisions are checked against the attached registry's names as they are at load time:
    // the provider is asked once per load, not on every registry change.
    void collisionsUseTheNamesAtLoadTime() {

        PluginHarness h(options());
        auto& model = h.model;
        auto& supervisor = h.supervisor;
        QStringList registry;
        int asked = 0;
        supervisor.setKnownNamesProvider([&] {
            ++asked;
            return registry;
        });
        const QString path = fixture("fixture_codec");
        registry = {u"rot13"_s};
        supervisor.loadFile(path);
        QTRY_COMPARE_WITH_TIMEOUT(toString(stateOf(model, path)), toString(PluginState::Ready),
                                  10000);
        QCOMPARE(model.find(path)->verdict.collisions, QStringList{u"rot13"_s});
        QCOMPARE(asked, 1);
    }

    // The same crash twice (signal, stage, faulting frame) is deterministic: retried once,
    // then not again, and never reported as a crash loop.
    void deterministicCrashIsNotRetried() {
        PluginHarness h(options());
        auto& model = h.model;
        auto& supervisor = h.supervisor;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QString path = fixture("fixture_ctor_segv");
        supervisor.loadFile(path);
        QTRY_VERIFY_WITH_TIMEOUT(model.find(path) && model.find(path)->deterministic, 15000);
        QCOMPARE(model.find(path)->crashes, 2);
        QVERIFY(!model.find(path)->crashLoop);
        QCOMPARE(toString(stateOf(model, path)), toString(PluginState::Crashed));
        QCOMPARE(model.find(path)->verdict.signal, SIGSEGV);
        // No third loader: a retry is counted as a restart when it is scheduled, in the same
        // step that decides it, so the first crash's retry is the only one.
        QCOMPARE(model.find(path)->calls.restarts, 1);
        QCOMPARE(model.find(path)->crashes, 2);

        // A manual retry clears the stop (and, this plugin being what it is, crashes again).
        supervisor.retry(path, false);
        QTRY_VERIFY_WITH_TIMEOUT(!model.find(path)->deterministic, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(
            model.find(path)->crashes >= 1 && stateOf(model, path) == PluginState::Crashed, 15000);
    }

    // Hangs have no faulting address: they are retried until the crash loop stops them.
    void crashLoopStopsAutomaticRetries() {
        auto opts = options();
        opts.loader.stageTimeoutMs = 300;
        PluginHarness h(opts);
        auto& model = h.model;
        const QString path = fixture("fixture_ctor_loop");
        h.supervisor.loadFile(path);
        QTRY_VERIFY_WITH_TIMEOUT(model.find(path) && model.find(path)->crashLoop, 20000);
        QCOMPARE(model.find(path)->crashes, 3);
        QVERIFY(!model.find(path)->deterministic);
        QCOMPARE(toString(stateOf(model, path)), toString(PluginState::TimedOut));
        QCOMPARE(model.find(path)->calls.restarts, 2);
    }

    void failedReloadKeepsTheRunningLoader() {
        LoadingCodec codec(u"p.so"_s);
        const QString& path = codec.path;
        auto& model = codec.h.model;
        auto& supervisor = codec.h.supervisor;
        QTRY_COMPARE_WITH_TIMEOUT(toString(stateOf(model, path)), toString(PluginState::Ready),
                                  10000);
        codec.replaceWith("fixture_ctor_segv");
        supervisor.reload(path);
        QTRY_VERIFY_WITH_TIMEOUT(model.find(path)->note.startsWith(u"reload failed"_s), 10000);
        QCOMPARE(toString(stateOf(model, path)), toString(PluginState::Ready));

        // The old loader still serves invokes.
        QSignalSpy results(&supervisor, &PluginSupervisor::invokeFinished);
        supervisor.invoke(path, u"hex"_s, "AB");
        QVERIFY(results.wait(10000));
        QCOMPARE(results.first().at(1).value<InvokeResult>().output, QByteArray("4142"));
        QTRY_COMPARE_WITH_TIMEOUT(model.find(path)->lastInvoke.output, QByteArray("4142"), 5000);
        QCOMPARE(model.find(path)->calls.calls, 1);
        QCOMPARE(model.find(path)->calls.errors, 0);

        supervisor.unload(path);
        QTRY_COMPARE_WITH_TIMEOUT(toString(stateOf(model, path)), toString(PluginState::Unloaded),
                                  10000);
    }

    // A reload does not switch on its own: the new build (hex turns upper-case) waits, the
    // running one keeps serving, both get the same payloads (typed and the recorded recent
    // invokes) and the divergence is named; only accept switches.
    void reloadWaitsForAcceptAndShadowsBothBuilds() {
        LoadingCodec codec(u"codec.so"_s);
        const QString& path = codec.path;
        auto& model = codec.h.model;
        auto& supervisor = codec.h.supervisor;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE_WITH_TIMEOUT(toString(stateOf(model, path)), toString(PluginState::Ready),
                                  10000);
        QSignalSpy results(&supervisor, &PluginSupervisor::invokeFinished);
        supervisor.invoke(path, u"hex"_s, "AB");
        supervisor.invoke(path, u"rot13"_s, "Hello");
        QTRY_COMPARE_WITH_TIMEOUT(results.size(), 2, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(model.find(path)->recordedPayloads, 2, 5000);

        codec.replaceWith("fixture_codec_v2");
        supervisor.reload(path);
        QTRY_VERIFY_WITH_TIMEOUT(model.find(path)->candidate, 10000);
        const auto waiting = model.find(path)->candidate;
        QCOMPARE(waiting->verdict.pluginVersion, u"2.0.0"_s);
        QCOMPARE(model.find(path)->verdict.pluginVersion, u"1.0.0"_s); // not switched
        QVERIFY2(waiting->diff.contains(u"version 1.0.0 → 2.0.0"_s), qPrintable(waiting->diff));
        // The running build still answers the app's invokes.
        results.clear();
        supervisor.invoke(path, u"hex"_s, "\xab");
        QVERIFY(results.wait(10000));
        QCOMPARE(results.first().at(1).value<InvokeResult>().output, QByteArray("ab"));

        supervisor.shadowInvoke(path, u"hex"_s, "\xab");
        QTRY_VERIFY_WITH_TIMEOUT(model.find(path)->candidate->shadow.size() == 1 &&
                                     model.find(path)->candidate->shadow[0].done(),
                                 10000);
        {
            const ShadowResult& r = model.find(path)->candidate->shadow[0];
            QCOMPARE(r.before.output, QByteArray("ab"));
            QCOMPARE(r.after.output, QByteArray("AB"));
            QVERIFY(r.diverged());
            QCOMPARE(model.find(path)->candidate->divergences(), 1);
        }
        // Replay: the recorded invokes (now three: hex "AB", rot13, hex 0xab) to both builds.
        supervisor.shadowReplay(path);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto& c = *model.find(path)->candidate;
                return c.shadow.size() == 4 &&
                       std::all_of(c.shadow.begin(), c.shadow.end(),
                                   [](const ShadowResult& r) { return r.done(); });
            }(),
            10000);
        const auto& c = *model.find(path)->candidate;
        QCOMPARE(c.shadow[1].before.output, QByteArray("4142")); // digits: the same in both
        QVERIFY(!c.shadow[1].diverged());
        QCOMPARE(c.shadow[2].after.output, QByteArray("Uryyb"));
        QVERIFY(!c.shadow[2].diverged());
        QVERIFY(c.shadow[3].diverged());
        QCOMPARE(c.divergences(), 2);
        QCOMPARE(model.find(path)->verdict.pluginVersion, u"1.0.0"_s); // still not switched

        supervisor.acceptReload(path);
        QTRY_COMPARE_WITH_TIMEOUT(model.find(path)->verdict.pluginVersion, u"2.0.0"_s, 5000);
        QVERIFY(!model.find(path)->candidate);
        results.clear();
        supervisor.invoke(path, u"hex"_s, "\xab");
        QVERIFY(results.wait(10000));
        QCOMPARE(results.first().at(1).value<InvokeResult>().output, QByteArray("AB"));
    }

    // Discard stops the new build; one that dies while waiting cannot be accepted.
    void discardedOrCrashedReloadKeepsTheRunningBuild() {
        LoadingCodec codec(u"p.so"_s);
        const QString& path = codec.path;
        auto& model = codec.h.model;
        auto& supervisor = codec.h.supervisor;
        QTRY_COMPARE_WITH_TIMEOUT(toString(stateOf(model, path)), toString(PluginState::Ready),
                                  10000);
        codec.replaceWith("fixture_codec_v2");
        supervisor.reload(path);
        QTRY_VERIFY_WITH_TIMEOUT(model.find(path)->candidate, 10000);
        supervisor.discardReload(path);
        QTRY_VERIFY_WITH_TIMEOUT(!model.find(path)->candidate, 5000);
        QVERIFY(model.find(path)->note.startsWith(u"reload discarded"_s));
        QCOMPARE(model.find(path)->verdict.pluginVersion, u"1.0.0"_s);

        // A new build that segfaults in process(): the shadow call kills it, not the app, and
        // there is nothing left to accept.
        codec.replaceWith("fixture_process_segv");
        supervisor.reload(path);
        QTRY_VERIFY_WITH_TIMEOUT(model.find(path)->candidate, 10000);
        supervisor.shadowInvoke(path, u"fault-process-segv"_s, "x");
        QTRY_VERIFY_WITH_TIMEOUT(model.find(path)->candidate->crashed, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(model.find(path)->candidate->shadow.at(0).done(), 10000);
        const ShadowResult& r = model.find(path)->candidate->shadow.at(0);
        QCOMPARE(r.before.errorCode, u"unknown_name"_s); // the running codec has no such method
        QCOMPARE(r.after.errorCode, u"crashed"_s);
        supervisor.acceptReload(path); // nothing to accept: no switch
        QCOMPARE(model.find(path)->verdict.pluginVersion, u"1.0.0"_s);
        QCOMPARE(toString(stateOf(model, path)), toString(PluginState::Ready));
        supervisor.discardReload(path);
        QTRY_VERIFY_WITH_TIMEOUT(!model.find(path)->candidate, 5000);
    }

    // A removed registration that the attached registry still uses is flagged.
    void reloadDiffFlagsWhatTheRegistryUses() {
        PluginVerdict before, after;
        before.registrations.push_back({u"codec"_s, u"rot13"_s, {}, {}, true, false, {}});
        before.registrations.push_back({u"codec"_s, u"hex"_s, {}, {}, true, false, {}});
        after.registrations.push_back({u"codec"_s, u"hex"_s, {}, {}, true, false, {}});
        before.pluginVersion = u"1.0.0"_s;
        after.pluginVersion = u"1.1.0"_s;
        const QString diff = reloadDiff(before, after, {u"rot13"_s});
        QCOMPARE(diff, u"reloaded: registrations −rot13 (still used by the attached registry!); "
                       "version 1.0.0 → 1.1.0"_s);
        QVERIFY(reloadDiff(after, after, {}).isEmpty());
    }

    void crashDuringInvokeIsAVerdict() {
        auto opts = options();
        opts.autoRetry = false;
        PluginHarness h(opts);
        auto& model = h.model;
        auto& supervisor = h.supervisor;
        const QString path = fixture("fixture_process_segv");
        supervisor.loadFile(path);
        QTRY_COMPARE_WITH_TIMEOUT(toString(stateOf(model, path)), toString(PluginState::Ready),
                                  10000);
        QSignalSpy results(&supervisor, &PluginSupervisor::invokeFinished);
        supervisor.invoke(path, u"fault-process-segv"_s, "x");
        QVERIFY(results.wait(10000));
        QCOMPARE(results.first().at(1).value<InvokeResult>().errorCode, u"crashed"_s);
        QTRY_COMPARE_WITH_TIMEOUT(toString(stateOf(model, path)), toString(PluginState::Crashed),
                                  10000);
        QCOMPARE(model.find(path)->verdict.stage, loader::Stage::Invoke);
    }
};

QTEST_GUILESS_MAIN(PluginSupervisorTest)
#include "tst_plugin_supervisor.moc"
