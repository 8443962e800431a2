// The Store's record tables under the ingest shortcuts: a snapshot the Store alone holds is
// adopted (its vector becomes the slots, nothing copied), also when it came through a queued
// call; a snapshot someone else still holds is copied and left intact; duplicates in an
// adopted snapshot behave as in a merge; slots in segments keep their addresses while the
// table grows past several segments, and slice scans see every record once. Key ids are
// hashed and compared without being built, and must agree with the built ones.

#include "models/ByteText.h"
#include "models/RecordTable.h"
#include "models/Store.h"

#include <QSet>
#include <QSignalSpy>
#include <QTest>

#include <thread>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

EntryRecord entry(const QString& name, const QString& version, const QString& description = {}) {
    EntryRecord e;
    e.name = name;
    e.version = version;
    e.type = u"codec"_s;
    e.description = description;
    return e;
}

std::shared_ptr<EventBatch> snapshotBatch(std::vector<Record> records) {
    SnapshotEvent s;
    s.kind = RecordKind::Entry;
    s.records = std::move(records);
    auto b = std::make_shared<EventBatch>();
    b->emplace_back(std::move(s));
    return b;
}

std::vector<Record>& recordsOf(const std::shared_ptr<EventBatch>& b) {
    return std::get<SnapshotEvent>(b->front()).records;
}

QStringList sorted(QStringList l) {
    l.sort();
    return l;
}

std::vector<Record> entries(int n) {
    std::vector<Record> out;
    for (int i = 0; i < n; ++i)
        out.emplace_back(entry(u"n%1"_s.arg(i), u"1.0.0"_s));
    return out;
}

class Emitter : public QObject {
    Q_OBJECT
Q_SIGNALS:
    void eventsReady(regscope::EventBatchPtr batch);
};

} // namespace

class TestRecordTable : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void ownedSnapshotIsAdopted();
    void queuedSnapshotIsAdopted();
    void sharedSnapshotIsCopiedAndLeftIntact();
    void adoptedDuplicatesBehaveAsAMerge();
    void slotsKeepTheirAddressesAcrossSegments();
    void keyIdsWithoutBuildingThem();
};

void TestRecordTable::ownedSnapshotIsAdopted() {
    Store store;
    QSignalSpy changed(&store, &Store::recordsChanged);
    auto b = snapshotBatch(entries(30000));
    const Record* first = &recordsOf(b).front();
    const Record* last = &recordsOf(b).back();
    store.apply(std::move(b)); // past the flush threshold: applied in this call
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(1).toStringList().size(), 30000);
    QCOMPARE(store.count(RecordKind::Entry), 30000);
    QCOMPARE(store.find(RecordKind::Entry, u"/n0@1.0.0"_s), first);
    QCOMPARE(store.find(RecordKind::Entry, u"/n29999@1.0.0"_s), last);
}

void TestRecordTable::queuedSnapshotIsAdopted() {
    qRegisterMetaType<regscope::EventBatchPtr>();
    Store store;
    Emitter emitter;
    connect(&emitter, &Emitter::eventsReady, &store, &Store::apply, Qt::QueuedConnection);
    auto b = snapshotBatch(entries(25000));
    const Record* first = &recordsOf(b).front();
    std::thread producer([&emitter, b = std::move(b)]() mutable {
        Q_EMIT emitter.eventsReady(std::move(b)); // the connector lets go
    });
    producer.join();
    QTRY_COMPARE_WITH_TIMEOUT(store.count(RecordKind::Entry), 25000, 5000);
    // The queued call held the batch while Store::apply ran: the flush waited for it to let
    // go (the next loop turn) and took the vector instead of copying it.
    QCOMPARE(store.find(RecordKind::Entry, u"/n0@1.0.0"_s), first);
}

void TestRecordTable::sharedSnapshotIsCopiedAndLeftIntact() {
    Store store;
    auto b = snapshotBatch(entries(100));
    store.apply(b); // the test keeps its own reference
    store.flush();
    QCOMPARE(store.count(RecordKind::Entry), 100);
    QCOMPARE(recordsOf(b).size(), size_t(100));
    QCOMPARE(std::get<EntryRecord>(recordsOf(b)[7]).name, u"n7"_s); // not moved from
    QVERIFY(store.find(RecordKind::Entry, u"/n7@1.0.0"_s) != &recordsOf(b)[7]);

    // Upserts of a shared batch are copied too; of an owned one, moved.
    auto up = std::make_shared<EventBatch>();
    up->emplace_back(UpsertEvent{entry(u"n7"_s, u"1.0.0"_s, u"changed"_s)});
    store.apply(up);
    store.flush();
    QCOMPARE(std::get<EntryRecord>(std::get<UpsertEvent>(up->front()).record).description,
             u"changed"_s);
    const auto* e = std::get_if<EntryRecord>(store.find(RecordKind::Entry, u"/n7@1.0.0"_s));
    QVERIFY(e);
    QCOMPARE(e->description, u"changed"_s);
}

void TestRecordTable::adoptedDuplicatesBehaveAsAMerge() {
    Store store;
    QSignalSpy changed(&store, &Store::recordsChanged);
    std::vector<Record> records = entries(5);
    records.emplace_back(entry(u"n2"_s, u"1.0.0"_s, u"second"_s)); // a later duplicate wins
    records.emplace_back(entry(u"n4"_s, u"1.0.0"_s));              // an equal duplicate
    store.apply(snapshotBatch(std::move(records)));
    store.flush();
    QCOMPARE(store.count(RecordKind::Entry), 5);
    QCOMPARE(changed.count(), 1);
    QStringList ids = changed.at(0).at(1).toStringList();
    QCOMPARE(ids.size(), 5);
    ids.removeDuplicates();
    QCOMPARE(ids.size(), 5);
    const auto* n2 = std::get_if<EntryRecord>(store.find(RecordKind::Entry, u"/n2@1.0.0"_s));
    QVERIFY(n2);
    QCOMPARE(n2->description, u"second"_s);
    qsizetype seen = 0;
    store.forEach(RecordKind::Entry, [&](const Record&) { ++seen; });
    QCOMPARE(seen, 5);

    // The freed duplicate slots are reused, and a second snapshot merges as targeted changes.
    store.apply(snapshotBatch(entries(6)));
    store.flush();
    QCOMPARE(store.count(RecordKind::Entry), 6);
    QCOMPARE(changed.count(), 2);
    QCOMPARE(sorted(changed.at(1).at(1).toStringList()),
             (QStringList{u"/n2@1.0.0"_s, u"/n5@1.0.0"_s})); // n2 lost its description
    QVERIFY(changed.at(1).at(2).toStringList().isEmpty());
}

void TestRecordTable::slotsKeepTheirAddressesAcrossSegments() {
    Store store;
    const int n = int(RecordSlots::kChunk) * 3 + 500; // several segments past the first
    for (int from = 0; from < n; from += 1000) {
        auto b = std::make_shared<EventBatch>();
        for (int i = from; i < std::min(n, from + 1000); ++i)
            b->emplace_back(UpsertEvent{entry(u"n%1"_s.arg(i), u"1.0.0"_s)});
        store.apply(std::move(b));
        store.flush();
    }
    const Record* early = store.find(RecordKind::Entry, u"/n3@1.0.0"_s);
    const Record* late = store.find(RecordKind::Entry, u"/n%1@1.0.0"_s.arg(n - 1));
    QVERIFY(early && late);
    // Remove every third, add as many new ones (reusing the freed slots), then check.
    auto churn = std::make_shared<EventBatch>();
    qsizetype removed = 0;
    for (int i = 0; i < n; i += 3) {
        if (i == 3)
            continue;
        churn->emplace_back(RemoveEvent{RecordKind::Entry, u"/n%1@1.0.0"_s.arg(i)});
        ++removed;
    }
    store.apply(std::move(churn));
    store.flush();
    auto more = std::make_shared<EventBatch>();
    for (int i = 0; i < n / 3; ++i)
        more->emplace_back(UpsertEvent{entry(u"m%1"_s.arg(i), u"2.0.0"_s)});
    store.apply(std::move(more));
    store.flush();
    QCOMPARE(store.find(RecordKind::Entry, u"/n3@1.0.0"_s), early);
    QCOMPARE(store.find(RecordKind::Entry, u"/n%1@1.0.0"_s.arg(n - 1)), late);
    const qsizetype expected = n - removed + n / 3;
    QCOMPARE(store.count(RecordKind::Entry), expected);
    // A scan in slices that do not line up with the segments sees each record once.
    QSet<QString> seen;
    for (qsizetype at = 0; at >= 0;)
        at = store.scan(RecordKind::Entry, at, 777, [&](const Record& r) {
            QVERIFY(!seen.contains(recordId(r)));
            seen.insert(recordId(r));
        });
    QCOMPARE(seen.size(), expected);
    for (int i = 0; i < n; ++i) {
        const QString id = u"/n%1@1.0.0"_s.arg(i);
        const bool alive = i % 3 != 0 || i == 3;
        QCOMPARE(store.find(RecordKind::Entry, id) != nullptr, alive);
    }
}

void TestRecordTable::keyIdsWithoutBuildingThem() {
    const QList<QByteArray> keys{"/plain/key",       "",
                                 "/with\\backslash", "/caf\xc3\xa9",
                                 "/bad\xff\x01",     "\xef\xbb\xbf/bom",
                                 "/tab\tand space"};
    for (const QByteArray& k : keys) {
        KeyRecord kv;
        kv.key = k;
        const Record r = kv;
        const QString id = recordId(r);
        QCOMPARE(id, escapeBytes(k));
        QCOMPARE(idHash(r), idHash(id));
        QVERIFY(idEquals(r, id));
        QVERIFY(!idEquals(r, QString(id + u'x')));
        if (!id.isEmpty())
            QVERIFY(!idEquals(r, id.chopped(1)));
    }
    // A stored key is found by its id, whatever its bytes.
    Store store;
    auto b = std::make_shared<EventBatch>();
    for (const QByteArray& k : keys)
        b->emplace_back(UpsertEvent{KeyRecord{k, "v", 1, 1, 1, 0}});
    store.apply(std::move(b));
    store.flush();
    for (const QByteArray& k : keys) {
        const auto* kv = std::get_if<KeyRecord>(store.find(RecordKind::Key, escapeBytes(k)));
        QVERIFY2(kv && kv->key == k, k.toHex().constData());
    }
}

QTEST_GUILESS_MAIN(TestRecordTable)
#include "tst_record_table.moc"
