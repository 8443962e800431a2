// Several sources in one window's session (app/regscope/SourceSet) against two real
// regscope-discoveryd servers with overlapping fleets: each source has its own health, the
// Drift model finds what differs both ways, a server that dies leaves the other sources live,
// "show in panels" swaps a watched source with the panels' one, and the Sources and Drift
// panels say so.

#include "app/regscope/Session.h"
#include "app/regscope/SourcePanels.h"
#include "app/regscope/SourceSet.h"
#include "models/AllSourcesModel.h"
#include "models/Store.h"
#include "tests/discovery/DiscoveryTestSupport.h"
#include "views/AllSourcesView.h"
#include "views/DriftPanel.h"
#include "views/MainWindow.h"
#include "views/SourcesPanel.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::testing;

namespace {

void registerInstance(QNetworkAccessManager& nam, DiscoverydProcess& server, const QString& appid,
                      const QString& host, int addr, const QString& version) {
    QUrlQuery form;
    for (const auto& [k, v] : {std::pair{u"zone"_s, u"z1"_s},
                               {u"env"_s, u"prod"_s},
                               {u"appid"_s, appid},
                               {u"hostname"_s, host},
                               {u"status"_s, u"1"_s},
                               {u"version"_s, version},
                               {u"addrs"_s, u"http://10.0.0.%1:8080"_s.arg(addr)}})
        form.addQueryItem(k, v);
    QCOMPARE(httpPost(nam, server.url(u"/discovery/register"_s), form).code, 0);
}

HealthState healthOf(const SourcesModel& m, int row) {
    const QString state = m.index(row, SourcesModel::StateColumn).data().toString();
    return state == u"live"       ? HealthState::Live
           : state == u"down"     ? HealthState::Down
           : state == u"degraded" ? HealthState::Degraded
                                  : HealthState::Connecting;
}

} // namespace

class TestSourceSet : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void severalSourcesReconciledAndIndependent() {
        DiscoverydProcess a;
        DiscoverydProcess b;
        QVERIFY(a.start());
        QVERIFY(b.start());
        QNetworkAccessManager nam;
        registerInstance(nam, a, u"pay"_s, u"h1"_s, 1, u"1.0"_s);
        registerInstance(nam, a, u"pay"_s, u"h2"_s, 2, u"1.0"_s);
        registerInstance(nam, a, u"users"_s, u"h3"_s, 3, u"1.0"_s);
        registerInstance(nam, b, u"pay"_s, u"h1"_s, 1, u"1.0"_s);
        registerInstance(nam, b, u"pay"_s, u"h2"_s, 2, u"1.1"_s);
        registerInstance(nam, b, u"orders"_s, u"h4"_s, 4, u"3.0"_s);

        Store store;
        Session session(&store);
        const QString urlA = a.url().toString();
        const QString urlB = b.url().toString();
        QVERIFY(session.attach(urlA));
        SourceSet set(&store, &session);
        set.setReconcileIntervalMs(0);
        QAbstractItemModelTester sourcesTester(set.sources());
        QAbstractItemModelTester driftTester(set.drift());
        QVERIFY(set.watch(urlB));
        QVERIFY(!set.watch(u"nope://x"_s)); // a URL that names no source changes nothing
        QCOMPARE(set.sources()->rowCount(), 2);

        QVERIFY(QTest::qWaitFor(
            [&] {
                const Reconciliation& r = set.drift()->reconciliation();
                return r.matched == 2 && r.onlyInA == 1 && r.onlyInB == 1 && r.differs == 1;
            },
            15'000));
        QCOMPARE(set.drift()->rowCount(), 3);
        QVERIFY(healthOf(*set.sources(), 0) == HealthState::Live);
        QVERIFY(healthOf(*set.sources(), 1) == HealthState::Live);
        QCOMPARE(set.sources()->index(0, SourcesModel::InstancesColumn).data().toInt(), 3);

        // The panels show them: the drift line and the rows, the sources with their health.
        DriftPanel drift(set.drift(), &store);
        QCOMPARE(drift.summary(), u"2 matched · 2 only in one source · 1 differ"_s);
        QCOMPARE(drift.view()->model()->rowCount(), 3);
        SourcesPanel::Actions actions{.watch =
                                          [&set](const QString& url) {
                                              auto w = set.watch(url);
                                              return w ? QString() : w.error().message;
                                          },
                                      .unwatch = [&set](int row) { set.unwatch(row); },
                                      .showInPanels = [&set](int row) { set.showInPanels(row); }};
        SourcesPanel panel(set.sources(), actions);
        panel.urlEdit()->setText(u"nope://x"_s);
        panel.watchTyped();
        QVERIFY(!panel.errorLabel()->text().isEmpty());
        QCOMPARE(set.sources()->rowCount(), 2);

        // File ▸ Save snapshot… writes every source, the panels' first.
        {
            MainWindow window;
            window.setStore(&store);
            window.setExtraSnapshotSources([&set] {
                return std::vector<std::pair<QString, const Store*>>{
                    {set.sources()->urlAt(1), set.watchedStore(0)}};
            });
            QTemporaryDir dir;
            const QString path = dir.filePath(u"both.json"_s);
            QSignalSpy saved(&window, &MainWindow::snapshotSaved);
            window.saveSnapshot(path);
            QVERIFY(saved.wait(10'000));
            QCOMPARE(saved.at(0).at(1).toString(), QString());
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QJsonObject doc = QJsonDocument::fromJson(file.readAll()).object();
            QCOMPARE(doc.value(u"schema"_s).toString(), u"regscope-snapshot"_s);
            const QJsonArray both = doc.value(u"sources"_s).toArray();
            QCOMPARE(both.size(), 2);
            QCOMPARE(both[1][u"source"].toString(), urlB);
            QCOMPARE(both[1][u"instances"].toArray().size(), 3);
        }

        // B dies: its row goes down, A (and the panels' store) stay live.
        b.kill();
        QVERIFY(QTest::qWaitFor([&] { return healthOf(*set.sources(), 1) == HealthState::Down; },
                                15'000));
        QVERIFY(store.health().state == HealthState::Live);
        QVERIFY(healthOf(*set.sources(), 0) == HealthState::Live);
        QVERIFY(b.restart());
        registerInstance(nam, b, u"pay"_s, u"h1"_s, 1, u"1.0"_s);
        QVERIFY(QTest::qWaitFor([&] { return healthOf(*set.sources(), 1) == HealthState::Live; },
                                15'000));

        // B in the panels, A watched in its place.
        set.showInPanels(1);
        QCOMPARE(session.url(), b.url().toString());
        QCOMPARE(set.sources()->rowCount(), 2);
        QCOMPARE(set.sources()->urlAt(0), session.url());
        QCOMPARE(set.sources()->urlAt(1), urlA);
        QVERIFY(set.sources()->inPanels(0));
        QVERIFY(QTest::qWaitFor(
            [&] {
                const Reconciliation& r = set.drift()->reconciliation();
                // B (restarted) holds pay/h1 only: A's other two are only in one source.
                return r.matched == 1 && r.onlyInA + r.onlyInB == 2 && r.differs == 0;
            },
            15'000));
        set.unwatch(1);
        QCOMPARE(set.sources()->rowCount(), 1);
        QCOMPARE(set.watchedCount(), 0);
    }

    // The window shows all sources: Instances lists both servers' instances with a Source
    // column, follows them live (no reset), keeps a dead server's last known rows beside the
    // live one's, and the Show: list swaps a watched source into the panels.
    void allSourcesInThePanels() {
        DiscoverydProcess a;
        DiscoverydProcess b;
        QVERIFY(a.start());
        QVERIFY(b.start());
        QNetworkAccessManager nam;
        registerInstance(nam, a, u"pay"_s, u"h1"_s, 1, u"1.0"_s);
        registerInstance(nam, b, u"orders"_s, u"h4"_s, 4, u"3.0"_s);
        Store store;
        Session session(&store);
        const QString urlA = a.url().toString();
        const QString urlB = b.url().toString();
        QVERIFY(session.attach(urlA));
        SourceSet set(&store, &session);
        QVERIFY(set.watch(urlB));

        // The window's own wiring (app/regscope/AllSourcesPanels.cpp) on a stand-in panel.
        MainWindow window;
        auto* panel = new QWidget;
        window.addPanel(u"Instances"_s, panel);
        window.addPanel(u"Timeline"_s, new QWidget);
        addAllSourcesViews(window, set);
        auto* view = qobject_cast<AllSourcesView*>(window.allSourcesView(u"Instances"_s));
        QVERIFY(view);
        AllSourcesModel* model = view->model();
        QAbstractItemModelTester tester(model);
        QVERIFY(window.allSourcesView(u"Timeline"_s)); // a per-source table in turn
        QVERIFY(!window.allSourcesView(u"Entries"_s)); // no such panel here: nothing added
        QCOMPARE(window.panel(u"Instances"_s), panel); // the panel, not its scope stack
        auto* scope = window.findChild<QComboBox*>(u"sourceScope"_s);
        QVERIFY(scope);
        QCOMPARE(scope->count(), 3); // A (in the panels), B, all
        QCOMPARE(scope->itemText(1), urlB);

        window.setShowAllSources(true);
        QVERIFY(model->isActive());
        const auto sourcesListed = [model] {
            QMap<QString, QString> hostBySource;
            for (int r = 0; r < model->rowCount(); ++r)
                hostBySource.insert(model->index(r, 2).data().toString(),
                                    model->index(r, 0).data().toString());
            return hostBySource;
        };
        QVERIFY(QTest::qWaitFor([&] { return model->rowCount() == 2; }, 15'000));
        QCOMPARE(sourcesListed(), (QMap<QString, QString>{{u"h1"_s, urlA}, {u"h4"_s, urlB}}));
        QCOMPARE(view->statusText(), u"2 instances from 2 sources"_s);

        QSignalSpy resets(model, &QAbstractItemModel::modelReset);
        registerInstance(nam, b, u"orders"_s, u"h5"_s, 5, u"3.0"_s);
        QVERIFY(QTest::qWaitFor([&] { return model->rowCount() == 3; }, 15'000));
        QCOMPARE(sourcesListed().value(u"h5"_s), urlB);
        QCOMPARE(resets.size(), 0);

        // A dies: B goes on live, A's last known instances stay listed under A.
        a.kill();
        QVERIFY(QTest::qWaitFor([&] { return healthOf(*set.sources(), 0) == HealthState::Down; },
                                15'000));
        registerInstance(nam, b, u"orders"_s, u"h6"_s, 6, u"3.0"_s);
        QVERIFY(QTest::qWaitFor([&] { return model->rowCount() == 4; }, 15'000));
        QCOMPARE(sourcesListed().value(u"h1"_s), urlA);
        QCOMPARE(sourcesListed().value(u"h6"_s), urlB);

        // The Show: list puts B in the panels (and shows one source again).
        scope->activated(1);
        QVERIFY(!window.showsAllSources());
        QVERIFY(!model->isActive());
        QCOMPARE(session.url(), urlB);
        QTRY_COMPARE(scope->itemText(0), urlB + u" (in the panels)"_s);
        QCOMPARE(scope->itemText(1), urlA);
    }
};

QTEST_MAIN(TestSourceSet)
#include "tst_source_set.moc"
