// The window's side of the actions, offscreen, against a real etcd and the real discoveryd:
// the confirmation shows the request and wants the count typed for a destructive action on
// several items; the key tree's folder delete goes through it and etcd (then the tree, via the
// watch) follows; the JSON editor keeps bytes and refuses bad JSON; a conflict shows the
// server's answer; read-only refuses before any dialog; the history dialog diffs revisions.

#include "../discovery/DiscoveryTestSupport.h"
#include "../etcd/EtcdProcess.h"
#include "../etcd/EtcdTestSupport.h"
#include "ActionTestSupport.h"
#include "connectors/discovery/DiscoveryActions.h"
#include "connectors/discovery/DiscoveryConnector.h"
#include "connectors/etcd/EtcdActions.h"
#include "models/Store.h"
#include "models/etcd/EtcdKeyTreeModel.h"
#include "models/instances/InstanceFilterProxy.h"
#include "models/instances/InstanceModel.h"
#include "views/actions/ActionConfirmDialog.h"
#include "views/actions/ActionProgress.h"
#include "views/actions/ActionRunner.h"
#include "views/actions/EtcdKeyActions.h"
#include "views/actions/EtcdValueEditor.h"
#include "views/actions/InstanceActions.h"
#include "views/actions/KeyEditDialog.h"
#include "views/actions/KeyHistoryDialog.h"
#include "views/actions/LeasesDialog.h"
#include "views/actions/WriteToggle.h"
#include "views/etcd/EtcdKeyTreeView.h"
#include "views/instances/InstancesView.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTreeView>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;
using namespace regscope::testing;

class TestActionsGui : public QObject {
    Q_OBJECT
    std::unique_ptr<EtcdProcess> m_etcd;
    DiscoverydProcess m_discovery;
    QNetworkAccessManager m_nam;
    QTemporaryDir m_dir;
    QString m_source;
    std::unique_ptr<ActionPolicy> m_policy;
    std::unique_ptr<ActionLog> m_log;
    std::unique_ptr<ActionDispatcher> m_actions;
    std::unique_ptr<QWidget> m_window;
    ActionRunner* m_runner = nullptr;
    EtcdKeyActions* m_keys = nullptr;

    bool put(const QString& key, const QString& value) {
        return m_etcd->etcdctl({u"put"_s, key, value}).has_value();
    }
    // Registers z1/prod/APPID/HOST (UP) on the real discoveryd.
    bool registerInstance(const QString& appid, const QString& host) {
        QUrlQuery f;
        for (const auto& [k, v] : {std::pair{u"zone"_s, u"z1"_s},
                                   {u"env"_s, u"prod"_s},
                                   {u"appid"_s, appid},
                                   {u"hostname"_s, host},
                                   {u"status"_s, u"1"_s},
                                   {u"addrs"_s, u"http://127.0.0.1:3"_s}})
            f.addQueryItem(k, v);
        return httpPost(m_nam, m_discovery.url(u"/discovery/register"_s), f).code == 0;
    }
    // The dialog an action opened (with open(): the event loop keeps running), as QTRY does.
    template <typename T>
    T* waitForDialog() {
        T* found = nullptr;
        const auto visible = [&] {
            for (T* d : m_window->findChildren<T*>())
                if (d->isVisible())
                    found = d;
            return found != nullptr;
        };
        if (!QTest::qWaitFor(visible, 5000))
            qFatal("no dialog opened in time");
        return found;
    }
    static QAction* actionNamed(QMenu* menu, const QString& prefix) {
        for (QAction* a : menu->actions())
            if (a->text().startsWith(prefix))
                return a;
        return nullptr;
    }

private Q_SLOTS:
    void initTestCase() {
        m_etcd = std::make_unique<EtcdProcess>(1);
        QVERIFY2(m_etcd->start(), qPrintable(m_etcd->lastError()));
        QVERIFY(m_discovery.start());
        m_source = m_etcd->etcdUrl(u"/"_s);
        m_policy = std::make_unique<ActionPolicy>();
        m_log = std::make_unique<ActionLog>(ActionLog::Options{m_dir.filePath(u"a.jsonl"_s)});
        m_actions = std::make_unique<ActionDispatcher>(m_policy.get(), m_log.get());
        m_actions->setExecutor(m_source, std::make_shared<EtcdActions>(
                                             testOptions(m_etcd->endpoints(), QByteArray())));
        m_actions->setExecutor(m_discovery.url().toString(),
                               std::make_shared<DiscoveryActions>(m_discovery.url()));
        m_window = std::make_unique<QWidget>();
        m_window->resize(800, 600);
        m_window->show();
        m_runner = new ActionRunner(m_actions.get(), m_window.get());
        m_keys = new EtcdKeyActions(m_runner, m_source, m_window.get());
    }
    void cleanup() {
        // Close whatever a failed test left open.
        for (QDialog* d : m_window->findChildren<QDialog*>())
            d->close();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
    void cleanupTestCase() {
        m_window.reset();
        m_actions.reset();
        m_etcd.reset();
    }

    void confirmationWantsTheCountTyped() {
        ActionRequest many;
        many.kind = ActionKind::EtcdDeletePrefix;
        many.source = m_source;
        many.key = "/x/";
        many.expectedCount = 3;
        many.seenRevision = 9;
        ActionConfirmDialog dialog(many);
        QVERIFY(dialog.needsTypedCount());
        const QString shown = dialog.detailsView()->toPlainText();
        QVERIFY(shown.contains(u"/x/"_s));
        QVERIFY(shown.contains(u"3 keys"_s));
        QVERIFY(shown.contains(u"\"seen_revision\": 9"_s)); // the request as it will be sent
        QVERIFY(!dialog.confirmButton()->isEnabled());
        QTest::keyClicks(dialog.countEdit(), u"2"_s);
        QVERIFY(!dialog.confirmButton()->isEnabled());
        dialog.countEdit()->clear();
        QTest::keyClicks(dialog.countEdit(), u"3"_s);
        QVERIFY(dialog.confirmButton()->isEnabled());

        ActionRequest one = many;
        one.kind = ActionKind::EtcdDelete;
        ActionConfirmDialog single(one);
        QVERIFY(!single.needsTypedCount());
        QVERIFY(!single.countEdit());
        QVERIFY(single.confirmButton()->isEnabled());
    }

    void readOnlyRefusesBeforeAnyDialog() {
        QVERIFY(put(u"/ro/k"_s, u"v"_s));
        WriteToggle toggle(m_actions.get(), m_source);
        QVERIFY(!toggle.checkBox()->isChecked());
        QCOMPARE(toggle.stateLabel()->text(), u"read-only"_s);
        KeyRecord kv = etcdctlState(*m_etcd, "/ro/k")->at("/ro/k");
        QVERIFY(!m_keys->edit(kv));
        QVERIFY(!m_keys->remove(kv));
        QTRY_VERIFY(m_runner->lastNotice() && m_runner->lastNotice()->isVisible());
        QVERIFY(m_runner->lastNotice()->detailedText().contains(u"read-only"_s));
        QVERIFY(!m_window->findChild<ActionConfirmDialog*>());
        QVERIFY(etcdctlState(*m_etcd, "/ro/")->contains("/ro/k"));

        // A pinned source shows its reason and cannot be switched on.
        m_policy->pinReadOnly(u"demo"_s, u"nothing writes into another process's registry"_s);
        WriteToggle demo(m_actions.get(), u"demo"_s);
        QVERIFY(!demo.checkBox()->isEnabled());
        QCOMPARE(demo.checkBox()->toolTip(), u"nothing writes into another process's registry"_s);

        // The toggle turns writes on for this source.
        toggle.checkBox()->click();
        QVERIFY(m_actions->isWritable(m_source));
        QCOMPARE(toggle.stateLabel()->text(), u"<b>writes allowed</b>"_s);
    }

    // Right click on a folder → "Delete folder (3 keys)" → type 3 → etcd loses them and the
    // tree, fed by the watch through the Store, drops the folder.
    void deleteFolderFromTheTree() {
        for (int i = 0; i < 3; ++i)
            QVERIFY(put(u"/tree/f/"_s + QString::number(i), u"v"_s));
        QVERIFY(put(u"/tree/keep"_s, u"k"_s));
        Wired w(testOptions(m_etcd->endpoints(), "/tree/"));
        EtcdKeyTreeModel model;
        model.setStore(&w.store);
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(model.keyCount(model.indexOf("/tree/")), 4, 10000);
        EtcdKeyTreeView view(&model, m_keys, m_window.get());
        view.show();
        const QModelIndex folder = model.indexOf("/tree/f/");
        std::unique_ptr<QMenu> menu(view.menuFor(folder));
        QAction* del = actionNamed(menu.get(), u"Delete folder (3 keys)"_s);
        QVERIFY(del);
        QVERIFY(del->isEnabled());
        del->trigger();
        auto* confirm = waitForDialog<ActionConfirmDialog>();
        QVERIFY(!confirm->confirmButton()->isEnabled());
        QTest::keyClicks(confirm->countEdit(), u"3"_s);
        QTest::mouseClick(confirm->confirmButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(etcdctlState(*m_etcd, "/tree/")->size(), size_t(1), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!model.indexOf("/tree/f/").isValid(), 5000);
        QCOMPARE(model.keyCount(model.indexOf("/tree/")), 1);
        QVERIFY(!m_runner->lastNotice() || !m_runner->lastNotice()->isVisible());
    }

    void editKeepsBytesAndRefusesBadJson() {
        const QByteArray original = "{\"a\":1,   \"b\": [1,2]}\n";
        QVERIFY(m_etcd->etcdctl({u"put"_s, u"/json/k"_s, QString::fromUtf8(original)}));
        KeyRecord kv = etcdctlState(*m_etcd, "/json/k")->at("/json/k");
        KeyEditDialog* edit = m_keys->edit(kv);
        QVERIFY(edit);
        EtcdValueEditor* editor = edit->editor();
        QVERIFY(editor->jsonMode());
        QCOMPARE(editor->value(), original); // untouched: exactly the bytes read
        QTRY_VERIFY(edit->okButton()->isEnabled());

        editor->textEdit()->selectAll();
        QTest::keyClicks(editor->textEdit(), u"{\"a\": 2,"_s);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isValid() && editor->error().contains(u"line 1"_s), 3000);
        QVERIFY(!edit->okButton()->isEnabled());
        QTest::keyClicks(editor->textEdit(), u" \"c\" : true }"_s);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isValid(), 3000);
        QVERIFY(edit->okButton()->isEnabled());
        const QByteArray typed = "{\"a\": 2, \"c\" : true }";
        QCOMPARE(editor->value(), typed);
        QTest::mouseClick(edit->okButton(), Qt::LeftButton);
        auto* confirm = waitForDialog<ActionConfirmDialog>();
        QVERIFY(confirm->detailsView()->toPlainText().contains(u"mod_revision "_s +
                                                               QString::number(kv.modRevision)));
        QTest::mouseClick(confirm->confirmButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(etcdctlState(*m_etcd, "/json/k")->at("/json/k").value, typed,
                                  5000);
    }

    void conflictShowsTheServersAnswer() {
        QVERIFY(put(u"/conf/k"_s, u"seen"_s));
        KeyRecord kv = etcdctlState(*m_etcd, "/conf/k")->at("/conf/k");
        KeyEditDialog* edit = m_keys->edit(kv);
        QVERIFY(edit);
        edit->editor()->setJsonMode(false);
        edit->editor()->textEdit()->setPlainText(u"mine"_s);
        QVERIFY(put(u"/conf/k"_s, u"theirs"_s)); // meanwhile
        QTRY_VERIFY(edit->okButton()->isEnabled());
        QTest::mouseClick(edit->okButton(), Qt::LeftButton);
        auto* confirm = waitForDialog<ActionConfirmDialog>();
        QTest::mouseClick(confirm->confirmButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(m_runner->lastNotice() && m_runner->lastNotice()->isVisible(),
                                 5000);
        QVERIFY2(m_runner->lastNotice()->text().contains(u"changed after you saw it"_s),
                 qPrintable(m_runner->lastNotice()->text()));
        QVERIFY(m_runner->lastNotice()->detailedText().contains(u"theirs"_s));
        QCOMPARE(etcdctlState(*m_etcd, "/conf/k")->at("/conf/k").value, QByteArray("theirs"));
        m_runner->lastNotice()->close();
    }

    void historyDialogDiffsRevisions() {
        QVERIFY(put(u"/h/k"_s, u"line one\nline two"_s));
        QVERIFY(put(u"/h/k"_s, u"line one\nline 2\nline three"_s));
        QPointer<KeyHistoryDialog> dialog;
        const auto c = connect(m_keys, &EtcdKeyActions::historyShown, this,
                               [&](KeyHistoryDialog* d) { dialog = d; });
        m_keys->showHistory("/h/k");
        QTRY_VERIFY_WITH_TIMEOUT(dialog, 5000);
        disconnect(c);
        QCOMPARE(dialog->table()->rowCount(), 2);
        const QString diff = dialog->diffView()->toPlainText();
        QVERIFY2(diff.contains(u"- line two"_s) && diff.contains(u"+ line 2"_s) &&
                     diff.contains(u"+ line three"_s) && diff.contains(u"  line one"_s),
                 qPrintable(diff));
        dialog->close();
    }

    void leasesDialogRevokesWithTypedCount() {
        QVERIFY(m_actions->setWritable(m_source, true));
        auto granted = m_etcd->etcdctl({u"lease"_s, u"grant"_s, u"300"_s});
        QVERIFY(granted);
        const QString lease = QString::fromUtf8(granted->split(' ').value(1));
        for (const auto& k : {u"/leased/a"_s, u"/leased/b"_s})
            QVERIFY(m_etcd->etcdctl({u"put"_s, k, u"v"_s, u"--lease="_s + lease}));
        QPointer<LeasesDialog> dialog;
        const auto c = connect(m_keys, &EtcdKeyActions::leasesShown, this,
                               [&](LeasesDialog* d) { dialog = d; });
        m_keys->showLeases();
        QTRY_VERIFY_WITH_TIMEOUT(dialog, 5000);
        disconnect(c);
        QLabel* note = dialog->findChild<QLabel*>();
        QVERIFY2(dialog->table()->findItems(lease, Qt::MatchExactly).size() == 1,
                 qPrintable(note ? note->text() : QString()));
        const auto rows = dialog->table()->findItems(lease, Qt::MatchExactly);
        const int row = rows.first()->row();
        QCOMPARE(dialog->table()->item(row, 3)->text(), u"2"_s);
        QVERIFY(dialog->table()->item(row, 4)->text().contains(u"/leased/a"_s));
        dialog->table()->selectRow(row);
        QVERIFY(dialog->revokeButton()->isEnabled());

        QSignalSpy done(m_runner, &ActionRunner::finished);
        QTest::mouseClick(dialog->keepAliveButton(), Qt::LeftButton);
        auto* confirm = waitForDialog<ActionConfirmDialog>();
        QVERIFY(!confirm->needsTypedCount());
        QTest::mouseClick(confirm->confirmButton(), Qt::LeftButton);
        QVERIFY(done.wait(5000));
        QCOMPARE(done.first().at(2).value<ActionResult>().code, ActionResult::Code::Ok);
        QTRY_VERIFY(!m_window->findChild<ActionConfirmDialog*>());

        QTest::mouseClick(dialog->revokeButton(), Qt::LeftButton);
        confirm = waitForDialog<ActionConfirmDialog>();
        QVERIFY(confirm->needsTypedCount());
        QVERIFY(!confirm->confirmButton()->isEnabled());
        QTest::keyClicks(confirm->countEdit(), u"2"_s);
        QTest::mouseClick(confirm->confirmButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(etcdctlState(*m_etcd, "/leased/")->size(), size_t(0), 5000);
        QVERIFY(!m_runner->lastNotice() || !m_runner->lastNotice()->isVisible());
        dialog->close();
    }

    void cancelInstancesWithTypedCount() {
        const QString source = m_discovery.url().toString();
        for (const auto& h : {u"i1"_s, u"i2"_s, u"i3"_s})
            QVERIFY(registerInstance(u"gui"_s, h));
        QVERIFY(m_actions->setWritable(source, true));
        InstanceActions instances(m_runner, source);
        auto ref = [](const QString& h) { return InstanceRef{u"z1"_s, u"prod"_s, u"gui"_s, h}; };
        ActionConfirmDialog* confirm = instances.cancel({ref(u"i1"_s), ref(u"i2"_s)});
        QVERIFY(confirm);
        QVERIFY(confirm->detailsView()->toPlainText().contains(u"gui i2"_s));
        QVERIFY(!confirm->confirmButton()->isEnabled());
        QTest::keyClicks(confirm->countEdit(), u"2"_s);
        QTest::mouseClick(confirm->confirmButton(), Qt::LeftButton);
        auto hosts = [&] {
            const auto r =
                httpGet(m_nam, m_discovery.url(u"/discovery/fetch?env=prod&status=3&appid=gui"_s));
            QStringList out;
            for (const auto& v :
                 r.data.toObject().value(u"instances"_s).toObject().value(u"z1"_s).toArray())
                out << v.toObject().value(u"hostname"_s).toString();
            return out;
        };
        QTRY_COMPARE_WITH_TIMEOUT(hosts(), QStringList{u"i3"_s}, 5000);

        // Set: the form, then the confirmation (one item: no count to type).
        InstanceFormDialog* form = instances.set({ref(u"i3"_s)});
        QVERIFY(form);
        form->statusBox()->setCurrentIndex(form->statusBox()->findData(2));
        QTest::keyClicks(form->metadataEdit(), u"reason=drain"_s);
        QVERIFY(form->okButton()->isEnabled());
        QTest::mouseClick(form->okButton(), Qt::LeftButton);
        confirm = waitForDialog<ActionConfirmDialog>();
        QVERIFY(!confirm->needsTypedCount());
        QTest::mouseClick(confirm->confirmButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            httpGet(m_nam, m_discovery.url(u"/discovery/fetch?env=prod&status=2&appid=gui"_s))
                .raw.contains("\"reason\":\"drain\""),
            5000);
    }

    // A put to a hung member shows in the status bar's progress, whose Cancel ends it at once;
    // the widget hides when nothing is out.
    void progressCancelsWhatIsInFlight() {
        QVERIFY(m_actions->setWritable(m_source, true));
        ActionProgress progress(m_runner, m_window.get());
        QVERIFY(progress.isHidden());
        ActionRequest r;
        r.kind = ActionKind::EtcdPut;
        r.source = m_source;
        r.key = "/progress/k";
        r.value = "v";
        QSignalSpy done(m_runner, &ActionRunner::finished);
        m_etcd->suspendMember(0);
        m_runner->submit(r);
        QVERIFY(!progress.isHidden());
        QVERIFY(progress.label()->text().contains(u"/progress/k"_s));
        QVERIFY(!done.wait(300));
        QTest::mouseClick(progress.cancelButton(), Qt::LeftButton);
        const bool finished = done.wait(3000);
        m_etcd->resumeMember(0);
        QVERIFY(finished);
        QCOMPARE(done.first().at(2).value<ActionResult>().code, ActionResult::Code::Canceled);
        QVERIFY(progress.isHidden());
        QVERIFY(!m_etcd->etcdctl({u"get"_s, u"/progress/k"_s})->contains("/progress/k"));
    }

    // The Instances panel's context menu: read-only says why and sends nothing; writable, an
    // app row's "Cancel N instances" goes through the typed count, and the panel follows the
    // server (its poll), not a guess.
    void instancesPanelMenuActsOnTheSelection() {
        const QString source = m_discovery.url().toString();
        for (const auto& h : {u"m1"_s, u"m2"_s})
            QVERIFY(registerInstance(u"menu"_s, h));
        Store store;
        DiscoveryConnector::Options o;
        o.snapshotRefreshMs = 200;
        DiscoveryConnector connector(m_discovery.url(), o);
        connect(&connector, &Connector::eventsReady, &store, &Store::apply, Qt::QueuedConnection);
        auto* view = new InstancesView(&store, m_window.get());
        InstanceActions actions(m_runner, source);
        view->setActions(&actions);
        connector.start();
        const auto appRow = [view]() -> QModelIndex {
            for (int i = 0; i < view->proxy()->rowCount(); ++i)
                if (view->proxy()->index(i, 0).data(InstanceModel::AppIdRole) == u"menu"_s)
                    return view->proxy()->index(i, 0);
            return {};
        };
        QTRY_VERIFY_WITH_TIMEOUT(appRow().isValid() && view->proxy()->rowCount(appRow()) == 2,
                                 10'000);
        view->tree()->selectionModel()->select(appRow(), QItemSelectionModel::ClearAndSelect |
                                                             QItemSelectionModel::Rows);
        QCOMPARE(view->selectedInstances().size(), 2);

        QVERIFY(m_actions->setWritable(source, false));
        std::unique_ptr<QMenu> menu(view->menuForSelection());
        QVERIFY(!menu->actions().front()->isEnabled());
        QVERIFY(menu->actions().front()->text().contains(u"read-only"_s, Qt::CaseInsensitive));
        QAction* cancel = actionNamed(menu.get(), u"Cancel 2 instances"_s);
        QVERIFY(cancel);
        QVERIFY(!cancel->isEnabled());

        QVERIFY(m_actions->setWritable(source, true));
        menu.reset(view->menuForSelection());
        cancel = actionNamed(menu.get(), u"Cancel 2 instances"_s);
        QVERIFY(cancel && cancel->isEnabled());
        QVERIFY(actionNamed(menu.get(), u"Set status / metadata of 2"_s)->isEnabled());
        cancel->trigger();
        auto* confirm = waitForDialog<ActionConfirmDialog>();
        QVERIFY(confirm->needsTypedCount());
        QVERIFY(confirm->detailsView()->toPlainText().contains(u"menu m2"_s));
        QTest::keyClicks(confirm->countEdit(), u"2"_s);
        QTest::mouseClick(confirm->confirmButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!appRow().isValid(), 10'000);
        connector.stop();
        menu.reset(); // a child of the view
        delete view;
    }
};

QTEST_MAIN(TestActionsGui)
#include "tst_actions_gui.moc"
