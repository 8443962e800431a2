// Every item model under QAbstractItemModelTester, fed through a real Store: structure,
// batching (one insert per run), snapshot merges without resets, bounded rows.

#include "models/DeprecationsModel.h"
#include "models/EntriesFilterProxy.h"
#include "models/EntriesModel.h"
#include "models/LookupMetricsModel.h"
#include "models/MetricNames.h"
#include "models/MissesModel.h"
#include "models/Store.h"
#include "models/Suggest.h"
#include "models/TimelineModel.h"
#include "models/registry/SemVer.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

EntryRecord entry(const QString& tenant, const QString& name, const QString& version,
                  const QString& type = u"codec"_s, const QString& description = {}) {
    EntryRecord e;
    e.tenant = tenant;
    e.name = name;
    e.version = version;
    e.type = type;
    e.description = description;
    return e;
}

EntryRecord alias(const QString& tenant, const QString& name, const QString& target) {
    EntryRecord e = entry(tenant, name, {}, u"component"_s);
    e.aliasOf = target;
    e.deprecated = true;
    e.deprecationMessage = u"use "_s + target;
    return e;
}

void applyNow(Store& store, EventBatch events) {
    store.apply(std::make_shared<EventBatch>(std::move(events)));
    store.flush();
}

SnapshotEvent snapshot(std::vector<Record> records) {
    SnapshotEvent s;
    s.kind = RecordKind::Entry;
    s.records = std::move(records);
    return s;
}

std::vector<Record> demoSet() {
    return {entry({}, u"gzip"_s, u"1.2.13"_s),
            entry({}, u"gzip"_s, u"1.10.0"_s),
            entry({}, u"gzip"_s, u"1.3.0-beta.1"_s),
            entry({}, u"zstd"_s, u"1.5.5"_s),
            entry({}, u"dns"_s, u"1.4.0"_s, u"resolver"_s),
            alias({}, u"zlib"_s, u"gzip"_s),
            entry(u"acme"_s, u"ledger"_s, u"1.2.0"_s, u"driver"_s),
            entry(u"globex"_s, u"zstd"_s, u"1.5.6"_s)};
}

MetricPoint point(QStringView name, double value, QStringView key = {}, QString label = {}) {
    MetricPoint p{name.toString(), {}, value};
    if (!key.isEmpty())
        p.labels.insert(key.toString(), label);
    return p;
}

// A sample with lookup totals and per-name counters.
MetricsSample sample(qint64 ms, double hits, double misses,
                     std::vector<std::pair<QString, double>> missesByName = {},
                     std::vector<std::pair<QString, double>> deprecated = {},
                     std::vector<std::pair<QString, double>> hitsByName = {}) {
    MetricsSample s;
    s.timestampMs = ms;
    s.points.push_back(point(metric::kLookupTotal, hits, metric::kOutcome, u"hit"_s));
    s.points.push_back(point(metric::kLookupTotal, misses, metric::kOutcome, u"miss"_s));
    s.points.push_back(point(metric::kLookupTotal, 0, metric::kOutcome, u"error"_s));
    for (const auto& [n, v] : missesByName)
        s.points.push_back(point(metric::kMissesByName, v, metric::kName, n));
    for (const auto& [n, v] : deprecated)
        s.points.push_back(point(metric::kDeprecatedLookups, v, metric::kName, n));
    for (const auto& [n, v] : hitsByName)
        s.points.push_back(point(metric::kHitsByName, v, metric::kName, n));
    return s;
}

QStringList childTexts(const QAbstractItemModel& model, const QModelIndex& parent) {
    QStringList out;
    for (int r = 0; r < model.rowCount(parent); ++r)
        out << model.index(r, 0, parent).data().toString();
    return out;
}

using Tester = QAbstractItemModelTester;
constexpr auto kReport = QAbstractItemModelTester::FailureReportingMode::QtTest;

} // namespace

class TestModels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void versionOrder();
    void versionOrderMatchesTheFullParse();
    void editDistance();
    void entriesTree();
    void entriesInsertsInRuns();
    void entriesSnapshotMergeIsTargeted();
    void entriesRemovals();
    void entriesPersistentIndexesSurvive();
    void entriesFilter();
    void lookupMetrics();
    void missesSuggestAndAlert();
    void deprecationsSafeToRemove();
    void timelineIsBounded();
};

void TestModels::versionOrder() {
    QStringList v{u"1.2.13"_s, u"1.10.0"_s, u"1.3.0-beta.1"_s,
                  u"1.3.0"_s,  u"0.9.0"_s,  u"1.3.0-alpha"_s};
    std::sort(v.begin(), v.end(), [](const QString& a, const QString& b) {
        return EntriesModel::compareVersions(a, b) < 0;
    });
    QCOMPARE(v, (QStringList{u"1.10.0"_s, u"1.3.0"_s, u"1.3.0-beta.1"_s, u"1.3.0-alpha"_s,
                             u"1.2.13"_s, u"0.9.0"_s}));
}

// compareVersions decides most pairs from major.minor.patch without a full parse; over
// tricky spellings it must answer exactly what the full registry::Version comparison does.
void TestModels::versionOrderMatchesTheFullParse() {
    const auto parse = [](const QString& s) -> std::optional<registry::Version> {
        auto v = registry::Version::Parse(s.toStdString());
        if (!v || s.size() > 96) // the model takes longer ones for text
            return std::nullopt;
        return *v;
    };
    const auto reference = [&parse](const QString& a, const QString& b) {
        if (a == b)
            return 0;
        const auto va = parse(a);
        const auto vb = parse(b);
        if (va && vb) {
            const auto c = *va <=> *vb;
            if (c != 0)
                return c < 0 ? 1 : -1;
            return QStringView(a).compare(b);
        }
        if (va || vb)
            return va ? -1 : 1;
        return QStringView(a).compare(b);
    };
    const QStringList v{u"1.2.3"_s,
                        u"1.2.4"_s,
                        u"1.10.0"_s,
                        u"01.2.3"_s,
                        u"1.02.3"_s,
                        u"1.2.03"_s,
                        u"0.0.0"_s,
                        u"1.2"_s,
                        u"1.2.3.4"_s,
                        u"v1.2.3"_s,
                        u"1.2.3-"_s,
                        u"1.2.3-rc.1"_s,
                        u"1.2.3-rc.01"_s,
                        u"1.2.3-rc..1"_s,
                        u"1.2.3--x"_s,
                        u"1.2.3+build.5"_s,
                        u"1.2.3+"_s,
                        u"1.2.3-rc.1+b"_s,
                        u"1.2.3-r_c"_s,
                        u"2.0.0-rc.1"_s,
                        u"99999999999999999999.0.0"_s,
                        u"18446744073709551615.0.0"_s,
                        u"123456789012345678.0.0"_s,
                        u"1.2.3-é"_s,
                        u"1.2.٣"_s,
                        QString(u"1.0.0-"_s + QString(100, u'a')),
                        QString(u"2.0.0-"_s + QString(100, u'a')),
                        u"latest"_s,
                        QString()};
    for (const QString& a : v)
        for (const QString& b : v)
            QVERIFY2(EntriesModel::compareVersions(a, b) == reference(a, b),
                     qPrintable(a + u" vs "_s + b));
}

void TestModels::editDistance() {
    QCOMPARE(regscope::editDistance(u"gzip", u"gzip", 3), 0);
    QCOMPARE(regscope::editDistance(u"gzpi", u"gzip", 3), 1); // transposition
    QCOMPARE(regscope::editDistance(u"zsd", u"zstd", 3), 1);
    QCOMPARE(regscope::editDistance(u"reddis", u"redis", 3), 1);
    QCOMPARE(regscope::editDistance(u"kafka", u"postgres", 2), 3); // capped at max + 1
    QCOMPARE(suggestName(u"postgre", {u"gzip"_s, u"postgres"_s, u"redis"_s}), u"postgres"_s);
    QCOMPARE(suggestName(u"oracle", {u"gzip"_s, u"postgres"_s, u"redis"_s}), QString());
}

void TestModels::entriesTree() {
    Store store;
    EntriesModel model(&store);
    Tester tester(&model, kReport);
    applyNow(store, {snapshot(demoSet())});
    QCOMPARE(childTexts(model, {}), (QStringList{u"(global)"_s, u"acme"_s, u"globex"_s}));
    const QModelIndex global = model.index(0, 0);
    QCOMPARE(childTexts(model, global), (QStringList{u"dns"_s, u"gzip"_s, u"zlib"_s, u"zstd"_s}));
    const QModelIndex gzip = model.index(1, 0, global);
    QCOMPARE(childTexts(model, gzip), (QStringList{u"1.10.0"_s, u"1.3.0-beta.1"_s, u"1.2.13"_s}));
    QCOMPARE(gzip.parent(), global);
    QCOMPARE(model.index(0, 0, gzip).parent(), gzip);
    QCOMPARE(model.index(0, 0, gzip).data(EntriesModel::RecordIdRole).toString(),
             u"/gzip@1.10.0"_s);
    const QModelIndex zlib = model.index(2, 0, global);
    QCOMPARE(model.rowCount(zlib), 0);
    QVERIFY(model.index(2, EntriesModel::StateColumn, global).data().toString().contains(u"gzip"));
    QCOMPARE(model.entryCount(), 8);
    QCOMPARE(model.recordsAt(gzip).size(), size_t(3));
    QCOMPARE(model.indexOf(u"acme/ledger@1.2.0"_s).data().toString(), u"1.2.0"_s);
}

void TestModels::entriesInsertsInRuns() {
    Store store;
    EntriesModel model(&store);
    Tester tester(&model, kReport);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    std::vector<Record> records;
    for (int i = 0; i < 100; ++i)
        records.emplace_back(
            entry(u"t"_s, u"name%1"_s.arg(i, 3, 10, QLatin1Char('0')), u"1.0.0"_s));
    applyNow(store, {snapshot(records)});
    QCOMPARE(inserted.count(), 1); // a new tenant with 100 names: one insert
    QCOMPARE(model.rowCount(model.index(0, 0)), 100);

    // Five new names that sort after name010 and five after name050: two runs, two inserts.
    inserted.clear();
    EventBatch b;
    for (int i = 0; i < 5; ++i) {
        b.emplace_back(UpsertEvent{entry(u"t"_s, u"name010x%1"_s.arg(i), u"1.0.0"_s)});
        b.emplace_back(UpsertEvent{entry(u"t"_s, u"name050x%1"_s.arg(i), u"1.0.0"_s)});
    }
    applyNow(store, std::move(b));
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(inserted.at(0).at(2).toInt() - inserted.at(0).at(1).toInt(), 4);
    QCOMPARE(model.rowCount(model.index(0, 0)), 110);
    QCOMPARE(childTexts(model, model.index(0, 0)).mid(11, 5),
             (QStringList{u"name010x0"_s, u"name010x1"_s, u"name010x2"_s, u"name010x3"_s,
                          u"name010x4"_s}));
}

void TestModels::entriesSnapshotMergeIsTargeted() {
    Store store;
    EntriesModel model(&store);
    Tester tester(&model, kReport);
    applyNow(store, {snapshot(demoSet())});
    QSignalSpy reset(&model, &QAbstractItemModel::modelAboutToBeReset);
    QSignalSpy layout(&model, &QAbstractItemModel::layoutAboutToBeChanged);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

    std::vector<Record> next = demoSet();
    std::get<EntryRecord>(next[3]).description = u"changed"_s; // zstd 1.5.5 changes
    next.erase(next.begin() + 4);                              // dns goes
    next.emplace_back(entry({}, u"gzip"_s, u"2.0.0"_s));       // a new version
    applyNow(store, {snapshot(next)});

    QCOMPARE(reset.count(), 0);
    QCOMPARE(layout.count(), 0);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(inserted.count(), 1);
    bool zstdSignalled = false;
    for (const auto& args : changed) {
        const auto topLeft = args.at(0).value<QModelIndex>();
        if (topLeft.data(EntriesModel::RecordIdRole).toString() == u"/zstd@1.5.5")
            zstdSignalled = true;
    }
    QVERIFY(zstdSignalled);
    const QModelIndex gzip = model.index(0, 0, model.index(0, 0));
    QCOMPARE(gzip.data().toString(), u"gzip"_s);
    QCOMPARE(model.index(0, 0, gzip).data().toString(), u"2.0.0"_s);
}

void TestModels::entriesRemovals() {
    Store store;
    EntriesModel model(&store);
    Tester tester(&model, kReport);
    applyNow(store, {snapshot(demoSet())});
    // One version of three: the name stays.
    applyNow(store, {RemoveEvent{RecordKind::Entry, u"/gzip@1.2.13"_s}});
    const QModelIndex global = model.index(0, 0);
    QCOMPARE(model.rowCount(model.index(1, 0, global)), 2);
    // The alias, then the last names of a tenant: the tenant row goes.
    applyNow(store, {RemoveEvent{RecordKind::Entry, u"/zlib"_s},
                     RemoveEvent{RecordKind::Entry, u"acme/ledger@1.2.0"_s}});
    QCOMPARE(childTexts(model, {}), (QStringList{u"(global)"_s, u"globex"_s}));
    QCOMPARE(childTexts(model, model.index(0, 0)), (QStringList{u"dns"_s, u"gzip"_s, u"zstd"_s}));
    // Every version of a name: the name goes.
    applyNow(store, {RemoveEvent{RecordKind::Entry, u"/gzip@1.10.0"_s},
                     RemoveEvent{RecordKind::Entry, u"/gzip@1.3.0-beta.1"_s}});
    QCOMPARE(childTexts(model, model.index(0, 0)), (QStringList{u"dns"_s, u"zstd"_s}));
    QCOMPARE(model.entryCount(), 3);
    // Everything.
    applyNow(store, {snapshot({})});
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.entryCount(), 0);
}

void TestModels::entriesPersistentIndexesSurvive() {
    Store store;
    EntriesModel model(&store);
    Tester tester(&model, kReport);
    applyNow(store, {snapshot(demoSet())});
    const QPersistentModelIndex zstd = model.indexOf(u"/zstd@1.5.5"_s);
    QVERIFY(zstd.isValid());
    // Names and tenants inserted before it move it down; it must still be zstd 1.5.5.
    applyNow(store, {UpsertEvent{entry({}, u"aaa"_s, u"1.0.0"_s)},
                     UpsertEvent{entry(u"0first"_s, u"x"_s, u"1.0.0"_s)},
                     UpsertEvent{entry({}, u"zstd"_s, u"1.6.0"_s)}});
    QVERIFY(zstd.isValid());
    QCOMPARE(zstd.data(EntriesModel::RecordIdRole).toString(), u"/zstd@1.5.5"_s);
    QCOMPARE(zstd.parent().data().toString(), u"zstd"_s);
    QCOMPARE(zstd.parent().parent().data().toString(), u"(global)"_s);
}

void TestModels::entriesFilter() {
    Store store;
    EntriesModel model(&store);
    EntriesFilterProxy proxy;
    proxy.setSourceModel(&model);
    Tester tester(&proxy, kReport);
    applyNow(store, {snapshot(demoSet())});
    proxy.setFilterText(u"zst"_s);
    QCOMPARE(childTexts(proxy, {}), (QStringList{u"(global)"_s, u"globex"_s}));
    QCOMPARE(childTexts(proxy, proxy.index(0, 0)), QStringList{u"zstd"_s});
    proxy.setFilterText(u"resolver"_s);
    QCOMPARE(childTexts(proxy, proxy.index(0, 0)), QStringList{u"dns"_s});
    proxy.setFilterText(u"gzip 1.10"_s); // every term must match
    const QModelIndex gzip = proxy.index(0, 0, proxy.index(0, 0));
    QCOMPARE(gzip.data().toString(), u"gzip"_s);
    proxy.setFilterText(u"nothing-like-this"_s);
    QCOMPARE(proxy.rowCount(), 0);
    proxy.setFilterText({});
    QCOMPARE(proxy.rowCount(), 3);
}

void TestModels::lookupMetrics() {
    Store store;
    LookupMetricsModel model(&store, 3);
    Tester tester(&model, kReport);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    applyNow(store, {sample(1000, 10, 0, {}, {}, {{u"gzip"_s, 10}, {u"zstd"_s, 4}})});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(inserted.count(), 1);
    applyNow(store, {sample(2000, 30, 0, {{u"gzpi"_s, 2}}, {},
                            {{u"gzip"_s, 30}, {u"zstd"_s, 4}, {u"dns"_s, 1}})});
    QCOMPARE(model.rowCount(), 3); // bounded at 3: dns and gzpi compete for one row
    const int gzip = model.rowOf(u"gzip"_s);
    QCOMPARE(model.index(gzip, LookupMetricsModel::HitsColumn).data().toString(), u"30"_s);
    QCOMPARE(model.index(gzip, LookupMetricsModel::HitRateColumn).data().toString(), u"20.0"_s);
    const int zstd = model.rowOf(u"zstd"_s);
    QCOMPARE(model.index(zstd, LookupMetricsModel::HitRateColumn).data().toString(), u"0.0"_s);
}

void TestModels::missesSuggestAndAlert() {
    Store store;
    MissesModel model(&store);
    Tester tester(&model, kReport);
    model.setAlertThreshold(0.25);
    applyNow(store, {snapshot(demoSet())});
    QSignalSpy ratio(&model, &MissesModel::missRatioChanged);
    applyNow(store, {sample(1000, 100, 0)});
    applyNow(store, {sample(2000, 190, 10, {{u"gzpi"_s, 6}, {u"gzip"_s, 3}, {u"oracle"_s, 1}})});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.suggestionFor(u"gzpi"_s), u"gzip"_s);
    QVERIFY(model.suggestionFor(u"gzip"_s).startsWith(u"gzip (registered"));
    QCOMPARE(model.suggestionFor(u"oracle"_s), QString());
    QCOMPARE(model.missRatio(), 0.1);
    QVERIFY(!model.alerting());
    applyNow(store, {sample(3000, 200, 40, {{u"gzpi"_s, 36}, {u"gzip"_s, 3}, {u"oracle"_s, 1}})});
    QVERIFY(model.missRatio() > 0.7);
    QVERIFY(model.alerting());
    QVERIFY(ratio.count() >= 2);
    QCOMPARE(model.index(model.rowOf(u"gzpi"_s), MissesModel::LastIntervalColumn).data().toString(),
             u"30"_s);
}

void TestModels::deprecationsSafeToRemove() {
    Store store;
    DeprecationsModel::Options options;
    options.quietThreshold = 3;
    options.window = 2;
    DeprecationsModel model(&store, options);
    Tester tester(&model, kReport);
    std::vector<Record> records = demoSet();
    records.emplace_back(alias({}, u"kube"_s, u"k8s"_s));
    EntryRecord lzo = entry({}, u"lzo"_s, u"2.10.0"_s);
    lzo.deprecated = true;
    records.emplace_back(lzo);
    applyNow(store, {snapshot(records)});
    QCOMPARE(model.rowCount(), 3); // zlib, kube (aliases), lzo (deprecated entry)
    QVERIFY(model.index(model.rowOf(u"zlib"_s), DeprecationsModel::StateColumn)
                .data()
                .toString()
                .contains(u"gzip"));

    qint64 t = 1000;
    applyNow(store, {sample(t += 1000, 0, 0, {}, {{u"zlib"_s, 5.0}})});
    const auto safeText = [&](const QString& name) {
        return model.index(model.rowOf(name), DeprecationsModel::SafeColumn).data().toString();
    };
    // Never looked up: "never used", never "in use"; looked up: "in use".
    QVERIFY2(safeText(u"kube"_s).startsWith(u"never used"_s), qPrintable(safeText(u"kube"_s)));
    QVERIFY2(!safeText(u"kube"_s).contains(u"in use"_s), qPrintable(safeText(u"kube"_s)));
    QVERIFY2(safeText(u"zlib"_s).startsWith(u"in use"_s), qPrintable(safeText(u"zlib"_s)));
    for (int i = 2; i <= 3; ++i) // zlib in use, kube and lzo quiet
        applyNow(store, {sample(t += 1000, 0, 0, {}, {{u"zlib"_s, 5.0 * i}})});
    QVERIFY(model.safeToRemove(u"kube"_s));
    QVERIFY(safeText(u"kube"_s).contains(u"never used"_s));
    QVERIFY(model.safeToRemove(u"lzo"_s));
    QVERIFY(!model.safeToRemove(u"zlib"_s));
    const int zlib = model.rowOf(u"zlib"_s);
    QCOMPARE(model.index(zlib, DeprecationsModel::LookupsColumn).data().toString(), u"15"_s);
    QCOMPARE(model.index(zlib, DeprecationsModel::RecentColumn).data().toString(), u"10"_s);
    QVERIFY(model.index(zlib, DeprecationsModel::FirstSeenColumn).data().toString() != u"never");
    QCOMPARE(
        model.index(model.rowOf(u"kube"_s), DeprecationsModel::LastSeenColumn).data().toString(),
        u"never"_s);
    // zlib goes quiet: safe after three intervals, not before.
    for (int i = 0; i < 2; ++i)
        applyNow(store, {sample(t += 1000, 0, 0, {}, {{u"zlib"_s, 15}})});
    QVERIFY(!model.safeToRemove(u"zlib"_s));
    applyNow(store, {sample(t += 1000, 0, 0, {}, {{u"zlib"_s, 15}})});
    QVERIFY(model.safeToRemove(u"zlib"_s));
    QVERIFY(model.index(zlib, DeprecationsModel::SafeColumn)
                .data(DeprecationsModel::SafeToRemoveRole)
                .toBool());
    // A deprecated name seen only in the metrics gets a row too.
    applyNow(store, {sample(t += 1000, 0, 0, {}, {{u"zlib"_s, 15}, {u"ghost"_s, 1}})});
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.index(model.rowOf(u"ghost"_s), DeprecationsModel::StateColumn).data().toString(),
             u"not registered"_s);
}

void TestModels::timelineIsBounded() {
    Store store;
    TimelineModel model(&store, 10);
    Tester tester(&model, kReport);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    EventBatch b;
    for (int i = 0; i < 6; ++i)
        b.emplace_back(TimelineEvent{i, u"register"_s, u"n%1"_s.arg(i), {}});
    applyNow(store, std::move(b));
    QCOMPARE(model.rowCount(), 6);
    QCOMPARE(inserted.count(), 1);
    EventBatch more;
    for (int i = 6; i < 31; ++i)
        more.emplace_back(TimelineEvent{i, u"reload"_s, u"n%1"_s.arg(i), {}});
    applyNow(store, std::move(more));
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(removed.count(), 1); // the oldest went in one removal
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(model.index(9, TimelineModel::SubjectColumn).data().toString(), u"n30"_s);
    QCOMPARE(model.index(0, TimelineModel::SubjectColumn).data().toString(), u"n21"_s);
}

QTEST_MAIN(TestModels)
#include "tst_models.moc"
