// The Plugins panel on the offscreen platform, wired to the real supervisor and loader: a
// one-click crashing demo plugin shows its verdict beside a healthy one, and invoke works.

#include "tests/loader/PluginHarness.h"
#include "views/plugins/PluginsPanel.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include <sys/stat.h>

using namespace Qt::StringLiterals;
using namespace regscope;

class PluginsPanelTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void crashBesideHealthyPlugin() {
        const QString demo = QStringLiteral(REGSCOPE_DEMO_PLUGIN_DIR);
        SupervisorOptions options;
        options.autoRetry = false;
        test::PluginHarness h(options);
        auto& model = h.model;
        auto& supervisor = h.supervisor;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        PluginsPanel panel(&model, &supervisor);
        panel.setDemoDirectory(demo);
        panel.resize(1200, 700);
        panel.show();

        const QString good = demo + u"/codec_demo.so"_s;
        supervisor.loadFile(good);
        auto* crashButton = panel.findChild<QPushButton*>(u"loadCrashingPlugin"_s);
        QVERIFY(crashButton && crashButton->isVisible());
        QTest::mouseClick(crashButton, Qt::LeftButton);
        const QString crash = demo + u"/fault_ctor_segv.so"_s;
        QTRY_VERIFY_WITH_TIMEOUT(
            model.find(crash) && model.find(crash)->state == PluginState::Crashed, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(model.find(good) && model.find(good)->state == PluginState::Ready,
                                 10000);

        // The crash is the selected row (newest) and its verdict is the headline.
        QCOMPARE(panel.selectedPath(), crash);
        auto* headline = panel.findChild<QLabel*>(u"verdictHeadline"_s);
        QTRY_VERIFY_WITH_TIMEOUT(headline->text().contains(u"SIGSEGV (fault address 0x0)"_s), 5000);
        QVERIFY(panel.reportText().contains(u"\"signalName\": \"SIGSEGV\""_s));
        const QString shot = QDir::current().filePath(u"plugins-panel.png"_s);
        QVERIFY(panel.grab().save(shot));

        // Invoke on the healthy one.
        panel.selectPath(good);
        auto* name = panel.findChild<QComboBox*>();
        QTRY_VERIFY_WITH_TIMEOUT(name->findText(u"rot13"_s) >= 0, 5000);
        name->setCurrentIndex(name->findText(u"rot13"_s));
        panel.findChild<QLineEdit*>(u"invokePayload"_s)->setText(u"Hello"_s);
        panel.invokeSelected();
        auto* output = panel.findChild<QPlainTextEdit*>(u"invokeOutput"_s);
        QTRY_VERIFY_WITH_TIMEOUT(output->toPlainText().contains(u"Uryyb"_s), 10000);
    }

    // A file that is not ELF is refused; a longer deadline would not help, so none is offered.
    void notElfIsNotOfferedALongerDeadline() {
        QTemporaryDir dir;
        ::chmod(QFile::encodeName(dir.path()).constData(), 0755);
        const QString path = dir.filePath(u"readme.so"_s);
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("plain text\n");
        f.close();
        SupervisorOptions options;
        options.autoRetry = false;
        test::PluginHarness h(options);
        PluginsPanel panel(&h.model, &h.supervisor);
        panel.show();
        h.supervisor.loadFile(path);
        QTRY_VERIFY_WITH_TIMEOUT(
            h.model.find(path) && h.model.find(path)->state == PluginState::Refused, 10000);
        panel.selectPath(path);
        auto* longer = panel.findChild<QPushButton*>(u"retryLonger"_s);
        QVERIFY(longer);
        QVERIFY(!longer->isVisible());
        auto* details = panel.findChild<QTextBrowser*>(u"pluginDetails"_s);
        QTRY_VERIFY_WITH_TIMEOUT(details->toPlainText().contains(u"unknown (not an ELF file)"_s),
                                 5000);
        QVERIFY(!details->toPlainText().contains(u"Needed libraries\nnone"_s));
    }

    // The panel's cookie field reaches the loader: the go-plugin binary shakes hands.
    void cookieFieldStartsAGoPlugin() {
        SupervisorOptions options;
        options.autoRetry = false;
        options.loader.stageTimeoutMs = 8000;
        test::PluginHarness h(options);
        PluginsPanel panel(&h.model, &h.supervisor);
        panel.show();
        auto* cookie = panel.findChild<QLineEdit*>(u"pluginCookie"_s);
        QVERIFY(cookie);
        cookie->setText(u"REGSCOPE_TEST_PLUGIN=greeter-7a1b"_s);
        Q_EMIT cookie->editingFinished();
        const QString path = QStringLiteral(REGSCOPE_FIXTURE_DIR) + u"/goplugin_netrpc"_s;
        h.supervisor.loadFile(path);
        QTRY_VERIFY_WITH_TIMEOUT(
            h.model.find(path) && h.model.find(path)->state == PluginState::Ready, 15000);
        QCOMPARE(h.model.find(path)->verdict.kind(), u"go-plugin"_s);
        auto* headline = panel.findChild<QLabel*>(u"verdictHeadline"_s);
        QTRY_VERIFY_WITH_TIMEOUT(headline->text().contains(u"Handshake ok"_s), 5000);
    }
};

QTEST_MAIN(PluginsPanelTest)
#include "tst_plugins_panel.moc"
