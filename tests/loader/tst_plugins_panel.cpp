// The Plugins panel on the offscreen platform, wired to the real supervisor and loader: a
// one-click crashing demo plugin shows its verdict beside a healthy one, and invoke works.

#include "tests/loader/LoaderTestSupport.h"
#include "tests/loader/PluginHarness.h"
#include "views/Theme.h"
#include "views/plugins/PluginsPanel.h"
#include "views/plugins/ReloadReview.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
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

    // Reload in the panel: the review box shows the diff, Shadow sends the typed payload to
    // both builds and marks the divergence, and only Accept switches. Screenshots of the box in
    // both themes land in the test's directory (plugins-review-light/dark.png).
    void reloadIsReviewedBeforeItSwitches() {
        auto dir = test::privateDir();
        const QString path = test::copyInto(*dir, test::fixture("fixture_codec"), u"codec.so"_s);
        SupervisorOptions options;
        options.autoRetry = false;
        test::PluginHarness h(options);
        PluginsPanel panel(&h.model, &h.supervisor);
        panel.resize(1200, 760);
        panel.show();
        h.supervisor.loadFile(path);
        QTRY_VERIFY_WITH_TIMEOUT(
            h.model.find(path) && h.model.find(path)->state == PluginState::Ready, 10000);
        panel.selectPath(path);
        auto* review = panel.findChild<ReloadReview*>(u"reloadReview"_s);
        QVERIFY(review);
        QVERIFY(!review->isVisible());

        test::copyInto(*dir, test::fixture("fixture_codec_v2"), u"codec.so"_s);
        auto* reload = panel.findChild<QPushButton*>(u"reloadPlugin"_s);
        QVERIFY(reload);
        QTest::mouseClick(reload, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(review->isVisible(), 10000);
        QVERIFY2(review->summary()->text().contains(u"version 1.0.0 → 2.0.0"_s),
                 qPrintable(review->summary()->text()));

        auto* name = panel.findChild<QComboBox*>();
        QTRY_VERIFY_WITH_TIMEOUT(name->findText(u"hex"_s) >= 0, 5000);
        name->setCurrentIndex(name->findText(u"hex"_s));
        panel.findChild<QLineEdit*>(u"invokePayload"_s)->setText(u"regscope"_s);
        QTest::mouseClick(review->shadowButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(review->table()->rowCount(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(review->table()->item(0, 3)->text(), u"diverged"_s, 10000);
        QCOMPARE(review->table()->item(0, 1)->text(), u"72656773636f7065"_s);
        QCOMPARE(review->table()->item(0, 2)->text(), u"72656773636F7065"_s);
        QVERIFY(review->summary()->text().contains(u"1 of 1 answers diverge"_s));
        QCOMPARE(h.model.find(path)->verdict.pluginVersion, u"1.0.0"_s);

        QApplication::setStyle(u"Fusion"_s); // as MainWindow::setTheme does
        int rows = 1;
        for (const auto& [kind, file] : {std::pair{ThemeKind::Light, "plugins-review-light.png"},
                                         std::pair{ThemeKind::Dark, "plugins-review-dark.png"}}) {
            QApplication::setPalette(theme::palette(kind));
            h.supervisor.shadowInvoke(path, u"rot13"_s, "regscope"); // repaint in this theme
            ++rows;
            QTRY_VERIFY_WITH_TIMEOUT(review->table()->rowCount() == rows &&
                                         review->table()->item(rows - 1, 3)->text() == u"same"_s,
                                     10000);
            QVERIFY(panel.grab().save(QDir::current().filePath(QString::fromLatin1(file))));
        }
        QApplication::setPalette(theme::palette(ThemeKind::Light));

        QTest::mouseClick(review->acceptButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(h.model.find(path)->verdict.pluginVersion, u"2.0.0"_s, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!review->isVisible(), 5000);
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
