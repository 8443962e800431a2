// The Plugins panel on the offscreen platform, wired to the real supervisor and loader: a
// one-click crashing demo plugin shows its verdict beside a healthy one, and invoke works.

#include "tests/loader/PluginHarness.h"
#include "views/plugins/PluginsPanel.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTest>

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
        panel.findChild<QLineEdit*>()->setText(u"Hello"_s);
        panel.invokeSelected();
        auto* output = panel.findChild<QPlainTextEdit*>(u"invokeOutput"_s);
        QTRY_VERIFY_WITH_TIMEOUT(output->toPlainText().contains(u"Uryyb"_s), 10000);
    }
};

QTEST_MAIN(PluginsPanelTest)
#include "tst_plugins_panel.moc"
