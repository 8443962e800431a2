// File ▸ Attach to process… offscreen, against a real host process: the list fills from a
// worker thread (never the GUI thread), shows pid / executable / registries / entries, the
// filter hides what does not match, double-click asks for pid://PID (with ?reattach=1 when
// the box is ticked), and the main window's Ctrl+Shift+A opens it and turns the choice into
// connectRequested.

#include "AttachHost.h"
#include "connectors/attach/AttachDiscovery.h"
#include "views/AttachDialog.h"
#include "views/MainWindow.h"

#include <QApplication>
#include <QCheckBox>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTest>
#include <QTreeWidget>

#include <atomic>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

QTreeWidgetItem* rowOf(QTreeWidget* list, qint64 pid) {
    for (int i = 0; i < list->topLevelItemCount(); ++i) {
        if (list->topLevelItem(i)->text(0) == QString::number(pid))
            return list->topLevelItem(i);
    }
    return nullptr;
}

// A real double-click on the row, as a user does it: press, release, double-click.
void doubleClick(QTreeWidget* list, QTreeWidgetItem* item) {
    const QPoint at = list->visualItemRect(item).center();
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, at);
    QTest::mouseDClick(list->viewport(), Qt::LeftButton, {}, at);
}

} // namespace

class TestAttachDialog : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::useTemporaryRuntimeDir(); }
    void listsFiltersAndAttaches();
    void mainWindowShortcut();
};

void TestAttachDialog::listsFiltersAndAttaches() {
    test::AttachHost host(u"codec,driver"_s);
    QCOMPARE(host.command("fill codec 42"), QByteArray("ok 42"));
    QVERIFY(host.waitForSocket());

    std::atomic<bool> onGuiThread{false};
    AttachDialog dialog([&onGuiThread] {
        onGuiThread = onGuiThread || QThread::currentThread() == qApp->thread();
        return attach::listAttachable();
    });
    dialog.setRefreshInterval(200);
    QSignalSpy listed(&dialog, &AttachDialog::listed);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto* list = dialog.findChild<QTreeWidget*>(u"attachList"_s);
    QVERIFY(list);
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(list, host.pid()), 10000);
    QVERIFY(!onGuiThread);
    QTreeWidgetItem* row = rowOf(list, host.pid());
    QVERIFY(row->text(1).contains(u"attach_test_host"));
    QCOMPARE(row->text(2), u"codec, driver"_s);
    QCOMPARE(row->text(3), u"42"_s);
    QVERIFY(!row->text(4).isEmpty());
    // Live: it keeps listing while open, updating rows in place.
    const int before = int(listed.count());
    QTRY_VERIFY_WITH_TIMEOUT(listed.count() > before + 1, 5000);
    QCOMPARE(rowOf(list, host.pid()), row);
    QCOMPARE(host.command("fill codec 8"), QByteArray("ok 8"));
    QTRY_COMPARE_WITH_TIMEOUT(row->text(3), u"50"_s, 5000);

    auto* filter = dialog.findChild<QLineEdit*>(u"attachFilter"_s);
    filter->setText(u"no-such-program"_s);
    QVERIFY(rowOf(list, host.pid())->isHidden());
    filter->setText(u"driver"_s);
    QVERIFY(!rowOf(list, host.pid())->isHidden());

    dialog.findChild<QCheckBox*>(u"reattach"_s)->setChecked(true);
    QSignalSpy attach(&dialog, &AttachDialog::attachRequested);
    doubleClick(list, rowOf(list, host.pid()));
    QCOMPARE(attach.count(), 1);
    QCOMPARE(attach.at(0).at(0).toString(), u"pid://%1?reattach=1"_s.arg(host.pid()));
    QVERIFY(!dialog.isVisible());
}

void TestAttachDialog::mainWindowShortcut() {
    test::AttachHost host;
    QVERIFY(host.waitForSocket());
    MainWindow window;
    window.setAttachLister([] { return attach::listAttachable(); });
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy connect(&window, &MainWindow::connectRequested);
    QTest::keyClick(&window, Qt::Key_A, Qt::ControlModifier | Qt::ShiftModifier);
    AttachDialog* dialog = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((dialog = window.findChild<AttachDialog*>()) && dialog->isVisible(),
                             5000);
    auto* list = dialog->findChild<QTreeWidget*>(u"attachList"_s);
    QTRY_VERIFY_WITH_TIMEOUT(rowOf(list, host.pid()), 10000);
    doubleClick(list, rowOf(list, host.pid()));
    QCOMPARE(connect.count(), 1);
    QCOMPARE(connect.at(0).at(0).toString(), u"pid://%1"_s.arg(host.pid()));
}

QTEST_MAIN(TestAttachDialog)
#include "tst_attach_dialog.moc"
