// The window's snapshots with the demo running: File ▸ Save snapshot… writes the store's
// records off the GUI thread, Compare with snapshot… highlights what the live source added,
// removed and changed since (item states, not colours), and a file:// source wears its badge.
// Screenshots of the dialog and the badge in both themes go to REGSCOPE_SNAPSHOT_SCREENSHOTS.

#include "app/regscope/Session.h"
#include "models/ItemRoles.h"
#include "models/SnapshotDiffModel.h"
#include "models/Store.h"
#include "views/ConnectionBar.h"
#include "views/MainWindow.h"
#include "views/SnapshotCompareDialog.h"
#include "views/Theme.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QStyleFactory>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

void grabBoth(QWidget* widget, const QString& name, MainWindow& window) {
    const QString dir = qEnvironmentVariable("REGSCOPE_SNAPSHOT_SCREENSHOTS");
    if (dir.isEmpty())
        return;
    for (const auto theme : {MainWindow::Theme::Light, MainWindow::Theme::Dark}) {
        window.setTheme(theme, MainWindow::Remember::No);
        QApplication::processEvents();
        const QString file = u"%1/%2-%3.png"_s.arg(
            dir, name, theme == MainWindow::Theme::Dark ? u"dark"_s : u"light"_s);
        QVERIFY(widget->grab().save(file, "PNG"));
    }
}

} // namespace

class TestSnapshotGui : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void saveCompareAndBadge() {
        QTemporaryDir dir;
        Store store;
        Session session(&store);
        QVERIFY(session.attach(u"demo"_s));
        MainWindow window;
        window.setStore(&store);
        window.setSourceUrl(session.url());
        window.resize(1100, 300);
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(store.health().state == HealthState::Live &&
                                     store.count(RecordKind::Entry) >= 40,
                                 10000);

        // Save: the file has every entry the store has.
        const QString saved = dir.filePath(u"saved.json"_s);
        QSignalSpy savedSpy(&window, &MainWindow::snapshotSaved);
        window.saveSnapshot(saved);
        QVERIFY(savedSpy.wait(10000));
        QCOMPARE(savedSpy.at(0).at(1).toString(), QString());
        QFile file(saved);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QJsonObject snapshot = QJsonDocument::fromJson(file.readAll()).object();
        QJsonArray entries = snapshot.value(u"entries"_s).toArray();
        QCOMPARE(entries.size(), store.count(RecordKind::Entry));

        // Edit it as if the source moved on since: one entry gone from the live source (an
        // extra in the snapshot), one that only the live source has, one changed.
        const QString onlyLive = entries[0].toObject().value(u"id"_s).toString();
        const QString changed = entries[1].toObject().value(u"id"_s).toString();
        QJsonObject edited = entries[1].toObject();
        edited[u"description"_s] = u"before the change"_s;
        QJsonObject extra = edited;
        extra[u"name"_s] = u"zz-retired"_s;
        entries[1] = edited;
        entries.removeFirst();
        entries.append(extra);
        snapshot[u"entries"_s] = entries;
        const QString old = dir.filePath(u"old.json"_s);
        QFile out(old);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(QJsonDocument(snapshot).toJson());
        out.close();

        SnapshotCompareDialog* dialog = window.openCompare(old);
        QVERIFY(dialog);
        QAbstractItemModelTester tester(dialog->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy compared(dialog, &SnapshotCompareDialog::compared);
        QVERIFY(compared.wait(10000));
        SnapshotDiffModel* model = dialog->model();
        QCOMPARE(model->diff().added, 1);
        QCOMPARE(model->diff().removed, 1);
        QCOMPARE(model->diff().changed, 1);
        QHash<QString, int> states; // id -> RowStateRole
        for (int row = 0; row < model->rowCount(); ++row)
            states.insert(model->index(row, SnapshotDiffModel::IdColumn).data().toString(),
                          model->index(row, 0).data(RowStateRole).toInt());
        QCOMPARE(states.value(onlyLive), int(ItemState::Added));
        QCOMPARE(states.value(changed), int(ItemState::Changed));
        QVERIFY(std::any_of(states.cbegin(), states.cend(),
                            [](int s) { return s == int(ItemState::Removed); }));
        QVERIFY2(dialog->summaryText().contains(u"1 added · 1 removed · 1 changed"_s),
                 qPrintable(dialog->summaryText()));
        grabBoth(dialog, u"snapshot-compare"_s, window);
        dialog->close();

        // Open the saved file as the source: the badge names the source and the time.
        QVERIFY(session.attach(QUrl::fromLocalFile(saved).toString()));
        window.setSourceUrl(session.url());
        QTRY_VERIFY_WITH_TIMEOUT(store.health().state == HealthState::Live, 10000);
        QTRY_VERIFY(
            window.connectionBar()->badgeText().startsWith(u"snapshot of demo taken at "_s));
        QCOMPARE(store.count(RecordKind::Entry),
                 qsizetype(snapshot.value(u"counts"_s).toObject().value(u"entries"_s).toInt()));
        grabBoth(window.connectionBar(), u"snapshot-badge"_s, window);
        // Back to a live source: the badge goes.
        QVERIFY(session.attach(u"demo"_s));
        window.setSourceUrl(session.url());
        QTRY_VERIFY(window.connectionBar()->badgeText().isEmpty());
    }

    void saveFailureIsReported() {
        Store store;
        MainWindow window;
        window.setStore(&store);
        QSignalSpy spy(&window, &MainWindow::snapshotSaved);
        window.saveSnapshot(u"/proc/no-such-dir/x.json"_s);
        QVERIFY(spy.wait(10000));
        QVERIFY(!spy.at(0).at(1).toString().isEmpty());
    }
};

QTEST_MAIN(TestSnapshotGui)
#include "tst_snapshot_gui.moc"
