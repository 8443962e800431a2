// PluginSupervisor + PluginModel against the real loader: directory watching, reload that
// replaces the old loader only once ready, crash-loop stop, unload, invoke, timeline, log.

#include "LoaderTestSupport.h"
#include "connectors/loader/PluginSupervisor.h"
#include "models/plugins/PluginModel.h"

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
        PluginModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto opts = options();
        opts.logFilePath = dir->filePath(u"plugins.log"_s);
        PluginSupervisor supervisor(&model, opts);
        QSignalSpy timeline(&supervisor, &PluginSupervisor::timelineEvent);
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

        QVERIFY(!timeline.isEmpty());
        const auto first = timeline.first().first().value<TimelineEvent>();
        QCOMPARE(first.category, u"plugin"_s);
        // The log file is written on its own thread.
        QTRY_VERIFY_WITH_TIMEOUT(QFile(opts.logFilePath).size() > 0, 5000);
    }

    // Collisions are checked against the attached registry's names as they are at load time:
    // the provider is asked once per load, not on every registry change.
    void collisionsUseTheNamesAtLoadTime() {
        PluginModel model;
        PluginSupervisor supervisor(&model, options());
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

    void crashLoopStopsAutomaticRetries() {
        PluginModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        PluginSupervisor supervisor(&model, options());
        const QString path = fixture("fixture_ctor_segv");
        supervisor.loadFile(path);
        QTRY_VERIFY_WITH_TIMEOUT(model.find(path) && model.find(path)->crashLoop, 15000);
        QCOMPARE(model.find(path)->crashes, 3);
        QCOMPARE(toString(stateOf(model, path)), toString(PluginState::Crashed));
        QCOMPARE(model.find(path)->verdict.signal, SIGSEGV);

        // A manual retry clears the stop (and, this plugin being what it is, crashes again).
        QSignalSpy changed(&model, &PluginModel::rowDetailsChanged);
        supervisor.retry(path, true);
        QVERIFY(!model.find(path)->crashLoop);
        QTRY_VERIFY_WITH_TIMEOUT(
            model.find(path)->crashes >= 1 && stateOf(model, path) == PluginState::Crashed, 15000);
    }

    void failedReloadKeepsTheRunningLoader() {
        auto dir = privateDir();
        const QString path = copyInto(*dir, fixture("fixture_codec"), u"p.so"_s);
        PluginModel model;
        auto opts = options();
        opts.autoRetry = false;
        PluginSupervisor supervisor(&model, opts);
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
        QCOMPARE(model.find(path)->lastInvoke.output, QByteArray("4142"));

        supervisor.unload(path);
        QTRY_COMPARE_WITH_TIMEOUT(toString(stateOf(model, path)), toString(PluginState::Unloaded),
                                  10000);
    }

    void crashDuringInvokeIsAVerdict() {
        PluginModel model;
        auto opts = options();
        opts.autoRetry = false;
        PluginSupervisor supervisor(&model, opts);
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
        QCOMPARE(model.find(path)->verdict.stage, u"invoke"_s);
    }
};

QTEST_GUILESS_MAIN(PluginSupervisorTest)
#include "test_plugin_supervisor.moc"
