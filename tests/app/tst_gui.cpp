// The window with the demo running (fast intervals) under offscreen: each panel shows what it
// should — entries rows, chart series receiving points, a typo miss with its suggestion, the
// "safe to remove" mark on quiet aliases, timeline rows, the connection state.

#include "app/regscope/ConnectorFactory.h"
#include "app/regscope/Session.h"
#include "connectors/inprocess/DemoConnector.h"
#include "models/DeprecationsModel.h"
#include "models/EntriesFilterProxy.h"
#include "models/EntriesModel.h"
#include "models/EntryMatchesModel.h"
#include "models/LookupMetricsModel.h"
#include "models/MissesModel.h"
#include "models/Store.h"
#include "models/Suggest.h"
#include "models/TimelineModel.h"
#include "views/ConnectionBar.h"
#include "views/EntriesPanel.h"
#include "views/MainWindow.h"
#include "views/MetricsPanel.h"
#include "views/StandardPanels.h"
#include "views/TablePanels.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QChartView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QTreeView>

using namespace Qt::StringLiterals;
using namespace regscope;

class TestGui : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void connectionBarShowsLive();
    void entriesPanel();
    void metricsChartsReceivePoints();
    void lookupsStaySorted();
    void missShowsWithSuggestion();
    void quietAliasBecomesSafeToRemove();
    void timelineHasEvents();
    void hotReloadsKeepModelsConsistent();
    void panelsThemeAndLayout();
    void factoryRejectsUnknownSchemes();
    void sessionSwitchesSource();
    void emptyPanelsSayWhy();
    void bigRegistryFilterListsMatchesFlat();

private:
    std::unique_ptr<Store> m_store;
    std::unique_ptr<MainWindow> m_window;
    std::unique_ptr<DemoConnector> m_demo;
};

void TestGui::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QApplication::setOrganizationName(u"regscope-tests"_s);
    registerConnectorMetaTypes();
}

void TestGui::init() {
    m_store = std::make_unique<Store>();
    m_window = std::make_unique<MainWindow>();
    addStandardPanels(m_window.get(), m_store.get());
    m_window->setStore(m_store.get());
    m_window->show();
    DemoRegistry::Options demo;
    demo.lookupsPerSecond = 4000;
    demo.churnEverySeconds = 1;
    InProcessConnector::Options attach;
    attach.metricsIntervalMs = 100; // ten intervals a second: quiet counts come quickly
    attach.batchIntervalMs = 20;
    m_demo = std::make_unique<DemoConnector>(u"demo"_s, demo, attach);
    connect(m_demo.get(), &Connector::eventsReady, m_store.get(), &Store::apply);
    m_demo->start();
}

void TestGui::cleanup() {
    m_demo.reset();
    m_window.reset();
    m_store.reset();
}

void TestGui::connectionBarShowsLive() {
    QTRY_COMPARE_WITH_TIMEOUT(m_window->connectionBar()->stateText(), u"live"_s, 5000);
    QVERIFY(!m_window->connectionBar()->reasonText().isEmpty());
    m_demo->stop();
    QTRY_COMPARE_WITH_TIMEOUT(m_window->connectionBar()->stateText(), u"down"_s, 5000);
}

void TestGui::entriesPanel() {
    auto* panel = qobject_cast<EntriesPanel*>(m_window->panel(u"Entries"_s));
    QVERIFY(panel);
    QTRY_COMPARE_WITH_TIMEOUT(panel->model()->rowCount(), 3, 5000); // global, acme, globex
    QTRY_VERIFY_WITH_TIMEOUT(panel->model()->entryCount() >= DemoRegistry::entryCount(), 5000);
    QTreeView* view = panel->view();
    QCOMPARE(view->model()->rowCount(), 3);
    QVERIFY(view->isExpanded(view->model()->index(0, 0)));

    panel->filterEdit()->setText(u"postgres"_s);
    QAbstractItemModel* proxy = view->model();
    const QModelIndex global = proxy->index(0, 0);
    QVERIFY(proxy->rowCount(global) >= 1);
    for (int r = 0; r < proxy->rowCount(global); ++r)
        QVERIFY(proxy->index(r, 0, global)
                    .data(EntriesModel::SearchTextRole)
                    .toString()
                    .contains(u"postgres"));
    const QModelIndex postgres = proxy->index(0, 0, global);
    QCOMPARE(postgres.data().toString(), u"postgres"_s);
    QCOMPARE(proxy->rowCount(postgres), 3);
    view->setCurrentIndex(proxy->index(0, 0, postgres));
    QVERIFY(panel->detailText().contains(u"16.1.0"));
    const QJsonObject json = QJsonDocument::fromJson(panel->selectionJson().toUtf8()).object();
    QCOMPARE(json.value(u"name"_s).toString(), u"postgres"_s);
    QCOMPARE(json.value(u"version"_s).toString(), u"16.1.0"_s);
    QCOMPARE(json.value(u"type"_s).toString(), u"driver"_s);

    panel->filterEdit()->setText(u"resolver"_s); // types are searched too
    QVERIFY(proxy->rowCount(proxy->index(0, 0)) >= 5);
}

void TestGui::metricsChartsReceivePoints() {
    auto* panel = qobject_cast<MetricsPanel*>(m_window->panel(u"Metrics"_s));
    QVERIFY(panel);
    m_window->showPanel(u"Metrics"_s);
    QTRY_VERIFY_WITH_TIMEOUT(panel->hitSeries()->count() >= 5, 5000);
    const int n = panel->hitSeries()->count();
    QVERIFY(panel->hitSeries()->at(n - 1).y() > 0);
    QVERIFY(panel->missSeries()->at(n - 1).y() > 0);
    QVERIFY(panel->entriesSeries()->at(n - 1).y() >= 40); // registrations, aliases aside
    QCOMPARE(panel->entriesSeries()->count(),
             n + 1); // gauges from the first sample, rates from the second
    // Latency quantiles are per interval: every interval of the running workload has timed
    // lookups (the attach sample may not, when nothing was timed before it).
    QVERIFY(panel->p99Series()->count() >= n - 1); // one busy interval may time nothing
    QVERIFY(panel->p99Series()->at(panel->p99Series()->count() - 1).y() > 0);
    // Paused charts still receive points.
    panel->setPaused(true);
    QTRY_VERIFY_WITH_TIMEOUT(panel->hitSeries()->count() > n, 5000);
    QVERIFY(panel->paused());
}

void TestGui::lookupsStaySorted() {
    auto* panel = qobject_cast<LookupsPanel*>(m_window->panel(u"Lookups"_s));
    QVERIFY(panel);
    m_window->showPanel(u"Lookups"_s);
    QAbstractItemModel* view = panel->view()->model();
    auto sortedByHits = [view] {
        if (view->rowCount() < 10)
            return false;
        for (int r = 1; r < view->rowCount(); ++r) {
            if (view->index(r - 1, LookupMetricsModel::HitsColumn)
                    .data(LookupMetricsModel::SortRole)
                    .toDouble() < view->index(r, LookupMetricsModel::HitsColumn)
                                      .data(LookupMetricsModel::SortRole)
                                      .toDouble())
                return false;
        }
        return true;
    };
    // Sorted right after each sample (once the batch's events are processed), not eventually.
    QSignalSpy sampled(m_store.get(), &Store::metricsSampled);
    QTRY_VERIFY_WITH_TIMEOUT(view->rowCount() >= 10, 5000);
    for (int i = 0; i < 10; ++i) {
        QVERIFY(sampled.wait(2000));
        QCoreApplication::processEvents();
        QVERIFY(sortedByHits());
    }
}

void TestGui::missShowsWithSuggestion() {
    auto* panel = qobject_cast<MissesPanel*>(m_window->panel(u"Misses"_s));
    QVERIFY(panel);
    MissesModel* model = panel->model();
    // A typo of a real name shows with the real name as its suggestion.
    auto typoRow = [model]() -> int {
        for (int r = 0; r < model->rowCount(); ++r) {
            const QString name = model->index(r, MissesModel::NameColumn).data().toString();
            const QString s = model->index(r, MissesModel::SuggestionColumn).data().toString();
            if (!s.isEmpty() && s != name && !s.contains(u' ') &&
                regscope::editDistance(name, s, 2) <= 2)
                return r;
        }
        return -1;
    };
    QTRY_VERIFY_WITH_TIMEOUT(typoRow() >= 0, 5000);
    // Unknown names have no suggestion.
    QTRY_VERIFY_WITH_TIMEOUT(model->rowOf(u"oracle"_s) >= 0 || model->rowOf(u"zookeeper"_s) >= 0,
                             5000);
    const QString unknown = model->rowOf(u"oracle"_s) >= 0 ? u"oracle"_s : u"zookeeper"_s;
    QCOMPARE(model->suggestionFor(unknown), QString());
    QVERIFY(!panel->alertLine()->text().isEmpty());
}

void TestGui::quietAliasBecomesSafeToRemove() {
    auto* panel = qobject_cast<DeprecationsPanel*>(m_window->panel(u"Deprecations"_s));
    QVERIFY(panel);
    DeprecationsModel* model = panel->model();
    model->setQuietThreshold(5); // five 100 ms intervals
    QTRY_VERIFY_WITH_TIMEOUT(model->rowOf(u"kube"_s) >= 0 && model->rowOf(u"zlib"_s) >= 0, 5000);
    for (const QString& quiet : DemoRegistry::quietAliases())
        QTRY_VERIFY_WITH_TIMEOUT(model->safeToRemove(quiet), 5000);
    // The aliases the workload uses stay in use.
    QTRY_VERIFY_WITH_TIMEOUT(
        model->index(model->rowOf(u"zlib"_s), DeprecationsModel::LookupsColumn).data().toInt() > 0,
        5000);
    QVERIFY(!model->safeToRemove(u"zlib"_s));
    const QString mark =
        model->index(model->rowOf(u"kube"_s), DeprecationsModel::SafeColumn).data().toString();
    QVERIFY(mark.contains(u"safe to remove"));
}

void TestGui::timelineHasEvents() {
    auto* panel = qobject_cast<TimelinePanel*>(m_window->panel(u"Timeline"_s));
    QVERIFY(panel);
    TimelineModel* model = panel->model();
    auto hasCategory = [model](QStringView category) {
        for (int r = 0; r < model->rowCount(); ++r) {
            if (model->index(r, 0).data(TimelineModel::CategoryRole).toString() == category)
                return true;
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(hasCategory(u"resync"), 5000);   // the attach
    QTRY_VERIFY_WITH_TIMEOUT(hasCategory(u"register"), 5000); // the demo's churn
}

void TestGui::hotReloadsKeepModelsConsistent() {
    // A demo that reloads every second: the merge reaches the models as targeted changes,
    // checked by QAbstractItemModelTester on the entries model and its filter proxy.
    m_demo.reset();
    DemoRegistry::Options demo;
    demo.reloadEverySeconds = 1;
    demo.churnEverySeconds = 1;
    InProcessConnector::Options attach;
    attach.metricsIntervalMs = 100;
    attach.batchIntervalMs = 20;
    auto* panel = qobject_cast<EntriesPanel*>(m_window->panel(u"Entries"_s));
    QAbstractItemModelTester modelTester(panel->model(),
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(panel->proxy(),
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy reset(panel->model(), &QAbstractItemModel::modelAboutToBeReset);
    m_demo = std::make_unique<DemoConnector>(u"demo?reload=1"_s, demo, attach);
    connect(m_demo.get(), &Connector::eventsReady, m_store.get(), &Store::apply);
    m_demo->start();
    // The first reload swaps gzip 1.2.13 for zstd 1.6.0-beta.1; the second swaps them back.
    QTRY_VERIFY_WITH_TIMEOUT(panel->model()->indexOf(u"/zstd@1.6.0-beta.1"_s).isValid(), 8000);
    QVERIFY(!panel->model()->indexOf(u"/gzip@1.2.13"_s).isValid());
    QTRY_VERIFY_WITH_TIMEOUT(panel->model()->indexOf(u"/gzip@1.2.13"_s).isValid(), 8000);
    QCOMPARE(reset.count(), 0);
    QCOMPARE(panel->model()->entryCount(), m_store->count(RecordKind::Entry));
}

void TestGui::panelsThemeAndLayout() {
    QCOMPARE(m_window->panelTitles(), (QStringList{u"Entries"_s, u"Metrics"_s, u"Lookups"_s,
                                                   u"Misses"_s, u"Deprecations"_s, u"Timeline"_s}));
    QVERIFY(m_window->showPanel(u"timeline"_s));
    QVERIFY(!m_window->showPanel(u"nope"_s));
    auto* extra = new QLabel(u"from another room"_s);
    m_window->addPanel(u"Extra"_s, extra, QKeySequence(u"Ctrl+Alt+X"_s));
    QCOMPARE(m_window->panel(u"extra"_s), extra);
    m_window->setTheme(MainWindow::Theme::Dark);
    QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 100);
    m_window->setTheme(MainWindow::Theme::Light);
    QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 150);
    m_window->showPanel(u"Misses"_s);
    m_window->saveLayout();
    MainWindow again;
    addStandardPanels(&again, m_store.get());
    again.restoreLayout();
    QCOMPARE(again.panel(u"Misses"_s)->isVisibleTo(&again), true);
}

void TestGui::factoryRejectsUnknownSchemes() {
    const auto gopher = makeConnector(u"gopher://x:70"_s);
    QVERIFY(!gopher);
    QCOMPARE(int(gopher.error().code), int(SourceError::Code::UnsupportedScheme));
    QVERIFY(gopher.error().message.contains(u"gopher"_s));
    const auto typo = makeConnector(u"htp:/foo"_s);
    QVERIFY(!typo);
    QCOMPARE(int(typo.error().code), int(SourceError::Code::UnsupportedScheme));
    const auto fast = makeConnector(u"demo?rate=fast"_s);
    QVERIFY(!fast);
    QCOMPARE(int(fast.error().code), int(SourceError::Code::BadOptions));
    QVERIFY(makeConnector(u"demo?rate=10"_s));
}

void TestGui::sessionSwitchesSource() {
    m_demo.reset(); // the fixture's source goes; a session takes over
    Session session(m_store.get());
    QVERIFY(session.attach(u"demo?rate=100"_s));
    QTRY_VERIFY_WITH_TIMEOUT(m_store->health().state == HealthState::Live, 5000);
    // A refused URL leaves the current source as it was: still attached and still streaming.
    QVERIFY(!session.attach(u"htp:/foo"_s));
    QCOMPARE(session.url(), u"demo?rate=100"_s);
    QCOMPARE(int(m_store->health().state), int(HealthState::Live));
    const quint64 before = m_store->eventsApplied();
    QTRY_VERIFY_WITH_TIMEOUT(m_store->eventsApplied() > before, 5000);
    QVERIFY(session.attach(u"demo?rate=200"_s));
    QTRY_VERIFY_WITH_TIMEOUT(m_store->health().state == HealthState::Live &&
                                 m_store->count(RecordKind::Entry) > 0,
                             5000);
    QCOMPARE(session.url(), u"demo?rate=200"_s);
}

// An empty table says what the panel is for and why it is empty here; a filter that hides every
// row says that instead; rows make the hint go.
void TestGui::emptyPanelsSayWhy() {
    auto* entries = qobject_cast<EntriesPanel*>(m_window->panel(u"Entries"_s));
    auto* lookups = qobject_cast<LookupsPanel*>(m_window->panel(u"Lookups"_s));
    QVERIFY(entries && lookups);
    m_window->showPanel(u"Entries"_s);
    const auto hint = [](QAbstractItemView* view) -> QString {
        auto* label = view->viewport()->findChild<QLabel*>(u"emptyHint"_s);
        return label && !label->isHidden() ? label->text() : QString();
    };
    QTRY_VERIFY_WITH_TIMEOUT(entries->model()->entryCount() > 0, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(hint(entries->view()).isEmpty(), 15000);
    entries->filterEdit()->setText(u"no-such-name-anywhere"_s);
    QTRY_COMPARE_WITH_TIMEOUT(hint(entries->view()), u"No entry matches the filter."_s, 15000);
    entries->filterEdit()->clear();
    QTRY_VERIFY_WITH_TIMEOUT(hint(entries->view()).isEmpty(), 15000);

    // A source with instances only (as a discovery server is): Entries and Lookups say why.
    // As Session::detach does: stop, then drop the batches it posted before stopping.
    m_demo->stop();
    m_demo.reset();
    QCoreApplication::removePostedEvents(m_store.get(), QEvent::MetaCall);
    m_store->clear();
    auto batch = std::make_shared<EventBatch>();
    InstanceRecord i;
    i.appid = u"a"_s;
    i.hostname = u"h"_s;
    i.source = u"discovery"_s;
    batch->emplace_back(SnapshotEvent{RecordKind::Instance, {i}, 0});
    batch->emplace_back(SourceHealth{HealthState::Live, u"live"_s});
    m_store->apply(batch);
    QTRY_VERIFY_WITH_TIMEOUT(
        hint(entries->view()).startsWith(u"No registry entries on this source."_s), 15000);
    QVERIFY(hint(entries->view()).contains(u"This source has instances (Instances)."_s));
    // Metrics: the demo's lines are gone, and a note says why the charts stay flat.
    auto* metrics = qobject_cast<MetricsPanel*>(m_window->panel(u"Metrics"_s));
    QVERIFY(metrics);
    auto* note = metrics->findChild<QLabel*>(u"metricsNote"_s);
    QVERIFY(note);
    QTRY_VERIFY_WITH_TIMEOUT(!note->isHidden(), 15000);
    QVERIFY(note->text().contains(u"This source has no registry"_s));
    for (auto* chart : metrics->findChildren<QChartView*>())
        for (auto* s : chart->chart()->series())
            QCOMPARE(static_cast<QLineSeries*>(s)->count(), 0);
    m_window->showPanel(u"Lookups"_s);
    QTRY_VERIFY_WITH_TIMEOUT(hint(lookups->view()).startsWith(u"No lookups on this source."_s),
                             15000);
}

// Past 20,000 entries the filter shows the sliced scan's flat matches (the tree's proxy would
// walk every row on each keystroke); below, the tree as before. Selecting a match shows it.
void TestGui::bigRegistryFilterListsMatchesFlat() {
    Store store;
    SnapshotEvent snap{.kind = RecordKind::Entry, .records = {}, .revision = 1};
    for (int i = 0; i < int(EntriesPanel::kFlatFilterAbove) + 500; ++i) {
        EntryRecord e;
        e.name = u"svc.%1"_s.arg(i);
        e.version = u"1.0.%1"_s.arg(i % 5);
        e.type = u"codec"_s;
        snap.records.emplace_back(e);
    }
    store.apply(std::make_shared<const EventBatch>(EventBatch{std::move(snap)}));
    store.flush();
    EntriesPanel panel(&store);
    panel.resize(900, 500);
    panel.show();
    QVERIFY(!panel.showsMatches());
    panel.filterEdit()->setText(u"svc.1234"_s);
    QVERIFY(panel.showsMatches());
    QVERIFY(QTest::qWaitFor([&] { return !panel.matches()->scanning(); }, 10'000));
    QCOMPARE(panel.matches()->matchCount(), 11); // svc.1234, svc.12340 … svc.12349
    QCOMPARE(panel.matchesView()->model()->rowCount(), 11);
    const QLabel* status = panel.findChild<QLabel*>(u"matchStatus"_s);
    QVERIFY(status && status->isVisible());
    QVERIFY2(status->text().startsWith(u"11 matches"_s), qPrintable(status->text()));
    panel.matchesView()->setCurrentIndex(panel.matchesView()->model()->index(0, 0));
    QVERIFY2(panel.detailText().contains(u"svc.1234"_s), qPrintable(panel.detailText()));
    if (const QString out = qEnvironmentVariable("REGSCOPE_ENTRIES_SCREENSHOT"); !out.isEmpty())
        QVERIFY(panel.grab().save(out));
    panel.filterEdit()->clear();
    QVERIFY(!panel.showsMatches());
}

QTEST_MAIN(TestGui)
#include "tst_gui.moc"
