// The all-sources table (AllSourcesModel): the records of one kind from every source's Store,
// with a Source column first; found by a scan in slices, bounded, filtered over every cell and
// the source, kept up to date in batches (no reset per event), and rebuilt when the set of
// sources changes.

#include "models/AllSourcesModel.h"
#include "models/ItemRoles.h"
#include "models/MetricNames.h"
#include "models/SourceMetricsModel.h"
#include "models/SourceUnionModel.h"
#include "models/SourcesModel.h"
#include "models/Store.h"
#include "models/TimelineModel.h"

#include <QAbstractItemModelTester>
#include <QSet>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

EntryRecord entry(int i) {
    EntryRecord e;
    e.name = u"codec.%1"_s.arg(i);
    e.version = u"1.%1.0"_s.arg(i % 7);
    e.type = i % 2 ? u"codec"_s : u"driver"_s;
    e.origin = u"demo"_s;
    return e;
}

void applyAll(Store& store, std::vector<SourceEvent> events) {
    store.apply(std::make_shared<const EventBatch>(std::move(events)));
    store.flush();
}

void snapshotEntries(Store& store, int from, int to) {
    SnapshotEvent snap{.kind = RecordKind::Entry, .records = {}, .revision = 1};
    for (int i = from; i < to; ++i)
        snap.records.emplace_back(entry(i));
    applyAll(store, {std::move(snap)});
}

bool waitForScan(const AllSourcesModel& model) {
    return QTest::qWaitFor([&] { return !model.scanning(); }, 10'000);
}

// Rows per source, and that no record is listed twice.
QHash<QString, int> rowsPerSource(const AllSourcesModel& model) {
    QHash<QString, int> out;
    QSet<QString> seen;
    for (int r = 0; r < model.rowCount(); ++r) {
        const QString source = model.index(r, AllSourcesModel::SourceColumn).data().toString();
        const QString id = model.index(r, 1).data(AllSourcesModel::RecordIdRole).toString();
        const QString key = source % u'|' % id;
        if (seen.contains(key))
            return {{u"listed twice: "_s % key, 1}}; // fails every comparison
        seen.insert(key);
        ++out[source];
    }
    return out;
}

} // namespace

class TestAllSources : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        m_a = std::make_unique<Store>();
        m_b = std::make_unique<Store>();
        snapshotEntries(*m_a, 0, 3000);
        snapshotEntries(*m_b, 1000, 4000);
        m_sources = std::make_unique<SourcesModel>();
        m_sources->addSource(u"srcA"_s, m_a.get(), true);
        m_sources->addSource(u"srcB"_s, m_b.get(), false);
    }
    void cleanup() {
        m_sources.reset();
        m_a.reset();
        m_b.reset();
    }

    void listsEverySourceWithASourceColumnInSlices() {
        AllSourcesModel model(RecordKind::Entry, m_sources.get(),
                              {.maxRows = 500, .sliceMs = 0, .slotsPerCheck = 500});
        QAbstractItemModelTester tester(&model);
        QCOMPARE(model.rowCount(), 0); // inactive: nothing listed, nothing followed
        QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), u"Source"_s);
        QCOMPARE(model.headerData(3, Qt::Horizontal).toString(), u"Name"_s);
        model.setActive(true);
        QVERIFY(model.scanning()); // one slice ran; the rest follow on the event loop
        QVERIFY(model.rowCount() <= 500);
        QVERIFY(waitForScan(model));
        QCOMPARE(model.matchCount(), 6000);
        QCOMPARE(model.rowCount(), 500); // the bound: the rest counted, not listed
        QVERIFY(model.truncated());
        QCOMPARE(model.index(0, 0).data().toString(), u"srcA"_s);
        QVERIFY(model.index(0, 0).data(EmphasisRole).toBool()); // the panels' source

        // Every word in some cell, the source included.
        model.setFilterText(u"codec.1500"_s);
        QVERIFY(waitForScan(model));
        QCOMPARE(rowsPerSource(model), (QHash<QString, int>{{u"srcA"_s, 1}, {u"srcB"_s, 1}}));
        model.setFilterText(u"srcb CODEC.1500"_s);
        QVERIFY(waitForScan(model));
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.index(0, 0).data().toString(), u"srcB"_s);
        QCOMPARE(model.index(0, 3).data().toString(), u"codec.1500"_s);
        model.setFilterText(u"nothing-like-this"_s);
        QVERIFY(waitForScan(model));
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.matchCount(), 0);
    }

    void changesDuringTheScanAreNeitherLostNorCountedTwice() {
        AllSourcesModel model(RecordKind::Entry, m_sources.get(),
                              {.maxRows = 100'000, .sliceMs = 0, .slotsPerCheck = 500});
        QAbstractItemModelTester tester(&model);
        model.setActive(true);
        QVERIFY(model.scanning());
        // While source A is being scanned: B (not reached yet) and A both change.
        std::vector<SourceEvent> a;
        std::vector<SourceEvent> b;
        for (int i = 0; i < 50; ++i) {
            a.emplace_back(UpsertEvent{.record = entry(9000 + i), .revision = 2});
            a.emplace_back(RemoveEvent{
                .kind = RecordKind::Entry, .id = recordId(Record(entry(i * 50))), .revision = 2});
            b.emplace_back(UpsertEvent{.record = entry(8000 + i), .revision = 2});
            b.emplace_back(UpsertEvent{.record = entry(1000 + i * 3), .revision = 2});
        }
        applyAll(*m_a, std::move(a));
        applyAll(*m_b, std::move(b));
        QVERIFY(waitForScan(model));
        QCOMPARE(rowsPerSource(model),
                 (QHash<QString, int>{{u"srcA"_s, int(m_a->count(RecordKind::Entry))},
                                      {u"srcB"_s, int(m_b->count(RecordKind::Entry))}}));
        QCOMPARE(model.matchCount(), m_a->count(RecordKind::Entry) + m_b->count(RecordKind::Entry));
    }

    void changesAfterTheScanComeInBatchesNotResets() {
        AllSourcesModel model(RecordKind::Entry, m_sources.get());
        QAbstractItemModelTester tester(&model);
        model.setActive(true);
        QVERIFY(waitForScan(model));
        QCOMPARE(model.rowCount(), 6000);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        std::vector<SourceEvent> events;
        for (int i = 0; i < 100; ++i)
            events.emplace_back(UpsertEvent{.record = entry(5000 + i), .revision = 3});
        EntryRecord deprecated = entry(1200);
        deprecated.deprecated = true;
        events.emplace_back(UpsertEvent{.record = deprecated, .revision = 3});
        for (int i = 0; i < 10; ++i) // a run of rows, and one more elsewhere
            events.emplace_back(RemoveEvent{
                .kind = RecordKind::Entry, .id = recordId(Record(entry(2000 + i))), .revision = 3});
        events.emplace_back(RemoveEvent{
            .kind = RecordKind::Entry, .id = recordId(Record(entry(10))), .revision = 3});
        applyAll(*m_b, std::move(events));
        QCOMPARE(resets.size(), 0);
        QCOMPARE(inserted.size(), 1); // the flush's new records, at once
        QCOMPARE(removed.size(), 1);  // A's records untouched; B's run of ten
        QVERIFY(changed.size() >= 1);
        QCOMPARE(model.rowCount(), 6000 + 100 - 10);
        QCOMPARE(rowsPerSource(model).value(u"srcB"_s), 3000 + 100 - 10);
        bool sawDeprecated = false;
        for (int r = 0; r < model.rowCount(); ++r)
            if (model.index(r, 0).data().toString() == u"srcB"_s &&
                model.index(r, 3).data().toString() == u"codec.1200"_s)
                sawDeprecated =
                    model.index(r, 6).data().toString() == u"deprecated"_s &&
                    model.index(r, 3).data(RowStateRole).toInt() == int(ItemState::Deprecated);
        QVERIFY(sawDeprecated);

        // A source that goes takes its rows along; one that is cleared is read again.
        m_sources->removeSource(1);
        QTRY_COMPARE(model.rowCount(), 3000); // A's (B's removal of codec.10 was a no-op)
        QCOMPARE(model.sourceCount(), 1);
        m_a->clear();
        snapshotEntries(*m_a, 0, 10);
        QVERIFY(QTest::qWaitFor([&] { return !model.scanning() && model.rowCount() == 10; }));
    }

    void instancesCarryTheirProbeAndKeysTheirBytes() {
        InstanceRecord r;
        r.appid = u"pay"_s;
        r.zone = u"z1"_s;
        r.env = u"prod"_s;
        r.hostname = u"h1"_s;
        r.addrs = {u"http://127.0.0.1:1"_s};
        r.staleness = Staleness::Stale;
        applyAll(*m_b,
                 {SnapshotEvent{.kind = RecordKind::Instance, .records = {r}, .revision = 1}});
        AllSourcesModel instances(RecordKind::Instance, m_sources.get());
        QAbstractItemModelTester tester(&instances);
        instances.setActive(true);
        QVERIFY(waitForScan(instances));
        QCOMPARE(instances.rowCount(), 1);
        QCOMPARE(instances.index(0, 0).data().toString(), u"srcB"_s);
        QCOMPARE(instances.index(0, 2).data().toString(), u"h1"_s);
        QCOMPARE(instances.index(0, 9).data().toString(), u"stale"_s);
        QCOMPARE(instances.index(0, 1).data(RowStateRole).toInt(), int(ItemState::Stale));
        QCOMPARE(instances.index(0, 10).data().toString(), QString()); // not probed
        QSignalSpy changed(&instances, &QAbstractItemModel::dataChanged);
        applyAll(*m_b, {ProbeEvent{.instanceId = recordId(Record(r)),
                                   .addr = r.addrs[0],
                                   .state = ProbeState::Refused,
                                   .latencyMs = 0.2,
                                   .atMs = 1,
                                   .detail = u"connection refused"_s}});
        QVERIFY(changed.size() >= 1);
        QCOMPARE(instances.index(0, 10).data().toString(), u"refused"_s);

        KeyRecord k;
        k.key = QByteArray("/svc/\xff\x01", 7);
        k.value = "v";
        k.modRevision = 7;
        applyAll(*m_a, {SnapshotEvent{.kind = RecordKind::Key, .records = {k}, .revision = 7}});
        AllSourcesModel keys(RecordKind::Key, m_sources.get());
        keys.setActive(true);
        QVERIFY(waitForScan(keys));
        QCOMPARE(keys.rowCount(), 1);
        QVERIFY(keys.index(0, 1).data().toString().startsWith(u"/svc/\\xff"_s)); // no byte lost
        QCOMPARE(keys.index(0, 3).data(AllSourcesModel::SortRole).toLongLong(), 7);
        // The filter: raw bytes for plain words, the escaped text for an escape, the numbers.
        for (const auto& [text, rows] : {std::pair{u"SVC"_s, 1},
                                         {u"\\xff"_s, 1},
                                         {u"7"_s, 1},
                                         {u"srca /svc"_s, 1},
                                         {u"srcb /svc"_s, 0},
                                         {u"v"_s, 1},
                                         {u"nomatch"_s, 0}}) {
            keys.setFilterText(text);
            QVERIFY(waitForScan(keys));
            QVERIFY2(keys.rowCount() == rows, qPrintable(text));
        }
    }

    // The per-source tables (here the timeline): each source's own model behind a Source
    // column, one after the other; a new line is one insert, a source that goes takes its
    // rows along.
    void tablesOfEverySourceFollowEachOther() {
        const auto line = [](const QString& text) {
            return TimelineEvent{
                .timestampMs = 1000, .category = u"reload"_s, .subject = {}, .text = text};
        };
        applyAll(*m_a, {line(u"a one"_s), line(u"a two"_s)});
        applyAll(*m_b, {line(u"b one"_s)});
        SourceUnionModel model(m_sources.get(), [](Store* s, QObject* parent) {
            return new TimelineModel(s, 100, parent);
        });
        QAbstractItemModelTester tester(&model);
        QCOMPARE(model.rowCount(), 0); // inactive: no per-source model at all
        model.setActive(true);
        QCOMPARE(model.sourceCount(), 2);
        const auto texts = [&model] {
            QStringList out;
            for (int r = 0; r < model.rowCount(); ++r)
                for (int c = 1; c < model.columnCount(); ++c)
                    if (model.index(r, c).data().toString().contains(u" one"_s) ||
                        model.index(r, c).data().toString().contains(u" two"_s))
                        out.append(model.index(r, 0).data().toString() % u':' %
                                   model.index(r, c).data().toString());
            out.sort();
            return out;
        };
        QCOMPARE(texts(), (QStringList{u"srcA:a one"_s, u"srcA:a two"_s, u"srcB:b one"_s}));
        QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), u"Source"_s);
        QVERIFY(model.index(0, 0).data(EmphasisRole).toBool());

        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        applyAll(*m_b, {line(u"b two"_s)});
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(resets.size(), 0);
        QVERIFY(texts().contains(u"srcB:b two"_s));

        // The source goes and its Store with it, at once (SourceSet::unwatch): its rows are
        // gone before anything can read them (ASan would see a read of the dead Store).
        m_sources->removeSource(1);
        m_b.reset();
        QVERIFY(!texts().join(u' ').contains(u"srcB"_s));
        QTRY_COMPARE(model.sourceCount(), 1);
        QCOMPARE(texts(), (QStringList{u"srcA:a one"_s, u"srcA:a two"_s}));
        model.setActive(false);
        QCOMPARE(model.rowCount(), 0);
    }

    // Metrics with all sources: each source's latest lookup figures as one row (rates from its
    // last two samples); a source that counts no lookups says so instead of showing zeros.
    void metricsAreARowPerSource() {
        const auto sample = [](qint64 at, double hits, double misses) {
            MetricsSample s{.timestampMs = at, .points = {}};
            s.points.push_back({metric::kLookupTotal.toString(), {{u"outcome"_s, u"hit"_s}}, hits});
            s.points.push_back(
                {metric::kLookupTotal.toString(), {{u"outcome"_s, u"miss"_s}}, misses});
            return s;
        };
        applyAll(*m_a, {sample(1000, 100, 10)});
        applyAll(*m_a, {sample(3000, 300, 50)}); // 2 s later: 100 hits/s, 20 misses/s
        applyAll(*m_b,
                 {MetricsSample{.timestampMs = 3000, .points = {{u"discovery_apps"_s, {}, 3}}}});
        SourceUnionModel model(m_sources.get(), [](Store* s, QObject* parent) {
            return new SourceMetricsModel(s, parent);
        });
        QAbstractItemModelTester tester(&model);
        model.setActive(true);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(0, 0).data().toString(), u"srcA"_s);
        QCOMPARE(model.index(0, 1 + SourceMetricsModel::LookupsColumn).data().toString(),
                 u"120.0"_s);
        QCOMPARE(model.index(0, 1 + SourceMetricsModel::MissesColumn).data().toString(), u"20.0"_s);
        QCOMPARE(model.index(0, 1 + SourceMetricsModel::MissRatioColumn).data().toString(),
                 u"16.7 %"_s);
        QCOMPARE(model.index(1, 1 + SourceMetricsModel::LookupsColumn).data().toString(), u"—"_s);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        applyAll(*m_a, {sample(4000, 300, 50)}); // a quiet second
        QVERIFY(changed.size() >= 1);
        QCOMPARE(model.index(0, 1 + SourceMetricsModel::LookupsColumn).data().toString(), u"0.0"_s);
    }

private:
    std::unique_ptr<Store> m_a;
    std::unique_ptr<Store> m_b;
    std::unique_ptr<SourcesModel> m_sources;
};

QTEST_MAIN(TestAllSources)
#include "tst_all_sources.moc"
