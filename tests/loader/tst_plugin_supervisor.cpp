// PluginSupervisor → Store → PluginModel against the real loader: directory watching, reload that
// replaces the old loader only once ready, crash-loop stop, unload, invoke, timeline, log.

#include "tests/loader/LoaderTestSupport.h"
#include "tests/loader/PluginHarness.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QSignalSpy>
#include <QTest>

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
        QTRY_VERIFY_WITH_TIMEOUT(!model.find(codec)->verdict.entryPoint, 10000);
        QCOMPARE(toString(stateOf(model, codec)), toString(PluginState::Ready));
        // The panel shows what the reload changed.
        const QString note = model.find(codec)->note;
        QVERIFY2(note.contains(u"exports "_s) && note.contains(u"−regscope_plugin_entry"_s),
                 qPrintable(note));
        QVERIFY2(note.contains(u"NEEDED +libm.so.6"_s), qPrintable(note));
        QVERIFY2(note.contains(u"registrations −rot13"_s), qPrintable(note));
        QVERIFY2(note.contains(u"version "_s), qPrintable(note));

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
        // No third loader: nothing changes for a second (it would within retryDelayMs × 2).
        QSignalSpy more(&supervisor, &PluginSupervisor::eventsReady);
        QVERIFY(!more.wait(1000));
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
        auto dir = privateDir();
        const QString path = copyInto(*dir, fixture("fixture_codec"), u"p.so"_s);
        auto opts = options();
        opts.autoRetry = false;
        PluginHarness h(opts);
        auto& model = h.model;
        auto& supervisor = h.supervisor;
        supervisor.loadFile(path);
        QTRY_COMPARE_WITH_TIMEOUT(toString(stateOf(model, path)), toString(PluginState::Ready),
                                  10000);
        copyInto(*dir, fixture("fixture_ctor_segv"), u"p.so"_s);
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
