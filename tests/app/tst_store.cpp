// The store: coalescing into flushes, deduplicated change lists, snapshot merges that touch
// only what changed, bounded history, and batches arriving queued from another thread.

#include "models/ByteText.h"
#include "models/ItemRoles.h"
#include "models/RecordTable.h"
#include "models/Store.h"
#include "models/TimelineModel.h"

#include <QSet>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

EntryRecord entry(const QString& tenant, const QString& name, const QString& version,
                  const QString& description = {}) {
    EntryRecord e;
    e.tenant = tenant;
    e.name = name;
    e.version = version;
    e.type = u"codec"_s;
    e.description = description;
    return e;
}

EventBatchPtr batch(std::initializer_list<SourceEvent> events) {
    return std::make_shared<EventBatch>(events);
}

SnapshotEvent snapshot(std::vector<Record> records) {
    SnapshotEvent s;
    s.kind = RecordKind::Entry;
    s.records = std::move(records);
    return s;
}

QStringList sorted(QStringList l) {
    l.sort();
    return l;
}

// Emits batches from a thread of its own, like a connector.
class Emitter : public QObject {
    Q_OBJECT
Q_SIGNALS:
    void eventsReady(regscope::EventBatchPtr batch);
};

} // namespace

class TestStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void idHashMatchesRecordId_data();
    void idHashMatchesRecordId();
    void coalescesUntilTheTimerFires();
    void flushesAtOnceWhenLarge();
    void changeListsAreDeduplicated();
    void upsertThenRemoveInOneFlushIsNothing();
    void snapshotMergeIsTargeted();
    void snapshotOfSameStateChangesNothing();
    void tableSurvivesChurn();
    void historyIsBounded();
    void historyOverAWeekStaysInBudget();
    void historyKeepsOneSampleASecond();
    void bytesEscapeWithoutLoss();
    void timelineIsInTimeOrderAndRetriesAreOneLine();
    void healthChangesOnlyWhenItMoves();
    void batchesFromAnotherThreadArriveQueued();
    void clearRemovesEverything();
};

void TestStore::idHashMatchesRecordId_data() {
    QTest::addColumn<int>("which");
    QTest::newRow("entry") << 0;
    QTest::newRow("alias") << 1;
    QTest::newRow("instance") << 2;
    QTest::newRow("key") << 3;
}

void TestStore::idHashMatchesRecordId() {
    QFETCH(int, which);
    Record r;
    if (which == 0) {
        r = entry(u"acme"_s, u"gzip"_s, u"1.2.0"_s);
    } else if (which == 1) {
        EntryRecord a = entry(u""_s, u"zlib"_s, {});
        a.aliasOf = u"gzip"_s;
        r = a;
    } else if (which == 2) {
        InstanceRecord i;
        i.appid = u"svc"_s;
        i.zone = u"sh1"_s;
        i.env = u"prod"_s;
        i.hostname = u"host-1"_s;
        r = i;
    } else {
        KeyRecord k;
        k.key = "/services/a/b";
        r = k;
    }
    const QString id = recordId(r);
    QCOMPARE(idHash(r), idHash(id));
    QVERIFY(idEquals(r, id));
    QVERIFY(!idEquals(r, QString(id + u'x')));
    QVERIFY(!idEquals(r, id.chopped(1)));
}

void TestStore::coalescesUntilTheTimerFires() {
    Store store;
    QSignalSpy changed(&store, &Store::recordsChanged);
    for (int i = 0; i < 10; ++i)
        store.apply(batch({UpsertEvent{entry({}, u"n%1"_s.arg(i), u"1.0.0"_s)}}));
    QCOMPARE(changed.count(), 0); // nothing before the flush
    QCOMPARE(store.count(RecordKind::Entry), 0);
    QVERIFY(changed.wait(2000));
    QCOMPARE(changed.count(), 1); // ten batches, one signal
    QCOMPARE(changed.at(0).at(1).toStringList().size(), 10);
    QCOMPARE(store.count(RecordKind::Entry), 10);
}

void TestStore::flushesAtOnceWhenLarge() {
    Store::Options options;
    options.flushAtPendingEvents = 100;
    options.flushIntervalMs = 60000;
    Store store(options);
    QSignalSpy changed(&store, &Store::recordsChanged);
    std::vector<Record> records;
    for (int i = 0; i < 150; ++i)
        records.emplace_back(entry({}, u"n%1"_s.arg(i), u"1.0.0"_s));
    store.apply(batch({snapshot(records)}));
    QCOMPARE(changed.count(), 1); // synchronously, no timer
    QCOMPARE(store.count(RecordKind::Entry), 150);
}

void TestStore::changeListsAreDeduplicated() {
    Store store;
    QSignalSpy changed(&store, &Store::recordsChanged);
    store.apply(batch({UpsertEvent{entry({}, u"a"_s, u"1.0.0"_s, u"one"_s)},
                       UpsertEvent{entry({}, u"a"_s, u"1.0.0"_s, u"two"_s)},
                       UpsertEvent{entry({}, u"a"_s, u"1.0.0"_s, u"three"_s)}}));
    store.flush();
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(1).toStringList(), QStringList{u"/a@1.0.0"_s});
    const auto* e = std::get_if<EntryRecord>(store.find(RecordKind::Entry, u"/a@1.0.0"_s));
    QVERIFY(e);
    QCOMPARE(e->description, u"three"_s);

    // An identical upsert is no change at all.
    store.apply(batch({UpsertEvent{entry({}, u"a"_s, u"1.0.0"_s, u"three"_s)}}));
    store.flush();
    QCOMPARE(changed.count(), 1);
}

void TestStore::upsertThenRemoveInOneFlushIsNothing() {
    Store store;
    store.apply(batch({UpsertEvent{entry({}, u"keep"_s, u"1.0.0"_s)}}));
    store.flush();
    QSignalSpy changed(&store, &Store::recordsChanged);
    store.apply(batch({UpsertEvent{entry({}, u"brief"_s, u"1.0.0"_s)},
                       RemoveEvent{RecordKind::Entry, u"/brief@1.0.0"_s},
                       RemoveEvent{RecordKind::Entry, u"/keep@1.0.0"_s},
                       UpsertEvent{entry({}, u"keep"_s, u"1.0.0"_s, u"back"_s)}}));
    store.flush();
    QCOMPARE(changed.count(), 1);
    // "brief" came and went: not reported; "keep" went and came back changed: an upsert.
    QCOMPARE(changed.at(0).at(1).toStringList(), QStringList{u"/keep@1.0.0"_s});
    QCOMPARE(changed.at(0).at(2).toStringList(), QStringList{});
    QCOMPARE(store.count(RecordKind::Entry), 1);
}

void TestStore::snapshotMergeIsTargeted() {
    Store store;
    store.apply(batch({snapshot({entry({}, u"a"_s, u"1.0.0"_s), entry({}, u"b"_s, u"1.0.0"_s),
                                 entry({}, u"c"_s, u"1.0.0"_s)})}));
    store.flush();
    QSignalSpy changed(&store, &Store::recordsChanged);
    QSignalSpy applied(&store, &Store::snapshotApplied);
    // b changes, c goes, d comes, a stays as it was.
    store.apply(
        batch({snapshot({entry({}, u"a"_s, u"1.0.0"_s), entry({}, u"b"_s, u"1.0.0"_s, u"changed"_s),
                         entry({}, u"d"_s, u"1.0.0"_s)})}));
    store.flush();
    QCOMPARE(changed.count(), 1);
    QCOMPARE(sorted(changed.at(0).at(1).toStringList()),
             (QStringList{u"/b@1.0.0"_s, u"/d@1.0.0"_s}));
    QCOMPARE(changed.at(0).at(2).toStringList(), QStringList{u"/c@1.0.0"_s});
    QCOMPARE(applied.count(), 1);
    QCOMPARE(store.count(RecordKind::Entry), 3);
    QVERIFY(!store.find(RecordKind::Entry, u"/c@1.0.0"_s));
}

void TestStore::snapshotOfSameStateChangesNothing() {
    Store store;
    std::vector<Record> records;
    for (int i = 0; i < 50; ++i)
        records.emplace_back(entry(u"t"_s, u"n%1"_s.arg(i), u"1.0.0"_s));
    store.apply(batch({snapshot(records)}));
    store.flush();
    QSignalSpy changed(&store, &Store::recordsChanged);
    store.apply(batch({snapshot(records)}));
    store.flush();
    QCOMPARE(changed.count(), 0);
}

void TestStore::tableSurvivesChurn() {
    // Many inserts and removals reuse slots and tombstones; every survivor must stay findable.
    Store store;
    QSet<QString> alive;
    for (int round = 0; round < 20; ++round) {
        auto b = std::make_shared<EventBatch>();
        for (int i = 0; i < 500; ++i) {
            const int n = (round * 311 + i * 7) % 1500;
            const EntryRecord e = entry({}, u"n%1"_s.arg(n), u"1.0.%1"_s.arg(n % 3));
            if ((i + round) % 3 == 0) {
                b->emplace_back(RemoveEvent{RecordKind::Entry, recordId(e)});
                alive.remove(recordId(e));
            } else {
                b->emplace_back(UpsertEvent{e});
                alive.insert(recordId(e));
            }
        }
        store.apply(b);
        store.flush();
    }
    QCOMPARE(store.count(RecordKind::Entry), alive.size());
    for (const QString& id : std::as_const(alive))
        QVERIFY2(store.find(RecordKind::Entry, id), qPrintable(id));
    qsizetype seen = 0;
    store.forEach(RecordKind::Entry, [&](const Record& r) {
        QVERIFY(alive.contains(recordId(r)));
        ++seen;
    });
    QCOMPARE(seen, alive.size());
}

void TestStore::historyIsBounded() {
    Store::Options options;
    options.metricHistory.tiers = {{0, 5}}; // keep 5 ms of history: the last 6 samples
    options.maxTimelineEvents = 7;
    Store store(options);
    QSignalSpy sampled(&store, &Store::metricsSampled);
    QSignalSpy timeline(&store, &Store::timelineAppended);
    auto b = std::make_shared<EventBatch>();
    for (int i = 0; i < 20; ++i) {
        b->emplace_back(MetricsSample{i, {}});
        b->emplace_back(TimelineEvent{i, u"register"_s, u"n%1"_s.arg(i), {}});
    }
    store.apply(b);
    store.flush();
    QCOMPARE(store.metrics().size(), 6);
    QCOMPARE(store.metricsHistory().front().timestampMs, 14);
    QCOMPARE(store.metrics().latest()->timestampMs, 19);
    QCOMPARE(qsizetype(store.timeline().size()), 7);
    QCOMPARE(store.timeline().back().timestampMs, 19);
    QCOMPARE(sampled.count(), 20);
    QCOMPARE(timeline.count(), 1);
    QCOMPARE(timeline.at(0).at(0).value<QList<TimelineEvent>>().size(), 7);
}

void TestStore::healthChangesOnlyWhenItMoves() {
    Store store;
    QSignalSpy health(&store, &Store::healthChanged);
    store.apply(batch(
        {SourceHealth{HealthState::Connecting, u"a"_s}, SourceHealth{HealthState::Live, u"b"_s}}));
    store.flush();
    QCOMPARE(health.count(), 1);
    QVERIFY(store.health().state == HealthState::Live);
    store.apply(batch({SourceHealth{HealthState::Live, u"b"_s}}));
    store.flush();
    QCOMPARE(health.count(), 1);
}

void TestStore::batchesFromAnotherThreadArriveQueued() {
    qRegisterMetaType<regscope::EventBatchPtr>();
    Store store;
    Emitter emitter;
    connect(&emitter, &Emitter::eventsReady, &store, &Store::apply, Qt::QueuedConnection);
    QSignalSpy flushed(&store, &Store::flushed);
    std::thread producer([&emitter] {
        for (int i = 0; i < 1000; ++i)
            Q_EMIT emitter.eventsReady(std::make_shared<EventBatch>(
                EventBatch{UpsertEvent{entry({}, u"n%1"_s.arg(i), u"1.0.0"_s)}}));
    });
    producer.join();
    QTRY_COMPARE_WITH_TIMEOUT(store.count(RecordKind::Entry), 1000, 5000);
    QVERIFY(flushed.count() >= 1);
    QVERIFY(flushed.count() < 1000); // coalesced, not one flush per batch
}

void TestStore::clearRemovesEverything() {
    Store store;
    store.apply(batch({snapshot({entry({}, u"a"_s, u"1.0.0"_s)}), MetricsSample{1, {}}}));
    store.flush();
    QSignalSpy changed(&store, &Store::recordsChanged);
    store.clear();
    QCOMPARE(store.count(RecordKind::Entry), 0);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(2).toStringList(), QStringList{u"/a@1.0.0"_s});
    QVERIFY(store.metricsHistory().empty());
}

// A simulated week of 1 s samples (the sample timestamps are the clock): the history keeps
// 1 s for the last hour, 10 s for a day, 1 min for the week, and never passes its budget.
void TestStore::historyOverAWeekStaysInBudget() {
    MetricHistory::Options o;
    o.budgetBytes = 24LL << 20;
    MetricHistory h(o);
    constexpr qint64 kWeek = 7 * 24 * 3600;
    qint64 peak = 0;
    MetricsSample s;
    for (int i = 0; i < 12; ++i)
        s.points.push_back(
            MetricPoint{u"lookup_hits_by_name"_s, {{u"name"_s, u"codec.%1"_s.arg(i)}}, 0});
    for (qint64 t = 0; t <= kWeek + 3600; ++t) {
        s.timestampMs = t * 1000;
        for (MetricPoint& p : s.points)
            p.value += 1; // cumulative counters
        h.append(s);
        peak = std::max(peak, h.bytes());
    }
    QVERIFY2(peak <= o.budgetBytes, qPrintable(u"peak %1 bytes"_s.arg(peak)));
    QCOMPARE(h.seriesCount(), 12);
    // Tier sizes: the last hour at 1 s, the rest of the day at 10 s, the rest of the week
    // at 1 min.
    QVERIFY2(qAbs(h.tierSize(0) - 3600) <= 2, qPrintable(QString::number(h.tierSize(0))));
    QVERIFY2(qAbs(h.tierSize(1) - 23 * 360) <= 2, qPrintable(QString::number(h.tierSize(1))));
    QVERIFY2(qAbs(h.tierSize(2) - 6 * 1440) <= 2, qPrintable(QString::number(h.tierSize(2))));
    QVERIFY(h.oldestMs() >= (3600 - 60) * 1000); // a week back from the newest, not more
    // Downsampled counters keep their last reading: rates stay right.
    const std::vector<MetricsSample> all = h.samples();
    QCOMPARE(all.back().points.front().value, double(kWeek + 3600 + 1));
    for (size_t i = 1; i < all.size(); ++i)
        QVERIFY(all[i].timestampMs > all[i - 1].timestampMs);
    // A tight budget drops the oldest first and keeps the newest.
    MetricHistory::Options tight;
    tight.budgetBytes = 64 * 1024;
    MetricHistory small(tight);
    for (qint64 t = 0; t < 10000; ++t) {
        s.timestampMs = t * 1000;
        small.append(s);
        QVERIFY(small.bytes() <= tight.budgetBytes);
    }
    QCOMPARE(small.latest()->timestampMs, 9999 * 1000);
    QVERIFY(small.size() < 10000);
}

// A source faster than 1 s (discovery samples on every change) costs one sample a second, and
// the kept sample has every series the second saw, with the newest readings.
void TestStore::historyKeepsOneSampleASecond() {
    MetricHistory h;
    for (int i = 0; i < 10; ++i) {
        MetricsSample s;
        s.timestampMs = 5000 + i * 100; // ten in second 5
        s.points.push_back(MetricPoint{u"as_of"_s, {}, double(i)});
        if (i == 3)
            s.points.push_back(MetricPoint{u"self_protection"_s, {}, 1});
        h.append(s);
    }
    QCOMPARE(h.size(), 1);
    QCOMPARE(h.latest()->timestampMs, 5900); // the newest as it arrived
    auto all = h.samples();
    QCOMPARE(all.size(), size_t(1));
    QCOMPARE(all[0].timestampMs, 5900);
    QCOMPARE(all[0].points.size(), qsizetype(2));
    for (const MetricPoint& p : all[0].points)
        QCOMPARE(p.value, p.name == u"as_of"_s ? 9.0 : 1.0);
    MetricsSample next;
    next.timestampMs = 6000;
    next.points.push_back(MetricPoint{u"as_of"_s, {}, 10});
    h.append(next);
    QCOMPARE(h.size(), 2);
    all = h.samples();
    QCOMPARE(all.back().points.size(), qsizetype(1));
    const qint64 bytes = h.bytes();
    for (int i = 1; i < 100; ++i) { // more of second 6: no growth past the merged points
        next.timestampMs = 6000 + i;
        h.append(next);
    }
    QCOMPARE(h.size(), 2);
    QCOMPARE(h.bytes(), bytes);
}

// Keys are bytes: the escaped text is readable, unique and maps back to the exact bytes.
void TestStore::bytesEscapeWithoutLoss() {
    QCOMPARE(escapeBytes("plain/key"), u"plain/key"_s);
    QCOMPARE(escapeBytes(QByteArray("k") + char(0xff)), u"k\\xff"_s);
    QCOMPARE(escapeBytes("a\\b"), u"a\\\\b"_s);
    QCOMPARE(escapeBytes("caf\xc3\xa9"), u"café"_s);
    QCOMPARE(escapeBytes("\xc0\xaf"), u"\\xc0\\xaf"_s); // overlong: not UTF-8
    QVERIFY(!isValidUtf8("\xed\xa0\x80"));              // a surrogate
    quint32 seed = 12345;
    QSet<QString> seen;
    for (int i = 0; i < 2000; ++i) {
        QByteArray b;
        for (int j = 0; j < 6; ++j) {
            seed = seed * 1664525u + 1013904223u;
            b += char(seed >> 24);
        }
        const QString text = escapeBytes(b);
        QCOMPARE(unescapeBytes(text).value_or(QByteArray("<none>")), b);
        seen.insert(text);
        QCOMPARE(recordId(KeyRecord{b, {}, 0, 0, 0, 0}), text);
    }
    QVERIFY(seen.size() > 1990); // distinct bytes, distinct text (random repeats aside)
}

void TestStore::timelineIsInTimeOrderAndRetriesAreOneLine() {
    Store store;
    TimelineModel model(&store);
    store.apply(batch({TimelineEvent{30, u"register"_s, u"c"_s, {}},
                       TimelineEvent{10, u"register"_s, u"a"_s, {}}}));
    store.flush();
    store.apply(batch({TimelineEvent{20, u"evict"_s, u"b"_s, {}}}));
    store.flush();
    QCOMPARE(qsizetype(store.timeline().size()), 3);
    QCOMPARE(store.timeline()[0].timestampMs, 10);
    QCOMPARE(store.timeline()[1].timestampMs, 20);
    QCOMPARE(store.timeline()[2].timestampMs, 30);
    QCOMPARE(model.rowCount(), 3);
    for (int r = 0; r < 3; ++r)
        QCOMPARE(model.index(r, TimelineModel::SubjectColumn).data().toString(),
                 QString(QChar(u'a' + r)));
    // An eviction is not green.
    QCOMPARE(model.index(1, TimelineModel::CategoryColumn).data(StateRole).toInt(),
             int(ItemState::Down));
    // Reconnect attempts: one "down" line for the failure, not two lines per attempt.
    const qsizetype before = qsizetype(store.timeline().size());
    store.apply(batch({SourceHealth{HealthState::Connecting, u"connecting"_s},
                       SourceHealth{HealthState::Down, u"refused; retrying in 1 s"_s},
                       SourceHealth{HealthState::Connecting, u"connecting"_s},
                       SourceHealth{HealthState::Down, u"refused; retrying in 2 s"_s},
                       SourceHealth{HealthState::Connecting, u"connecting"_s},
                       SourceHealth{HealthState::Down, u"refused; retrying in 4 s"_s},
                       SourceHealth{HealthState::Connecting, u"connecting"_s},
                       SourceHealth{HealthState::Live, u"live"_s}}));
    store.flush();
    QCOMPARE(qsizetype(store.timeline().size()) - before, 3); // connecting, down, live
    QCOMPARE(int(store.health().state), int(HealthState::Live));
}

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
