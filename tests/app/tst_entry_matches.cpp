// The Entries filter for big registries (EntryMatchesModel): a scan of the Store in slices
// finds exactly the entries a plain scan finds, lists at most maxRows and counts the rest,
// keeps up with changes that arrive meanwhile, and a new filter cancels the scan in progress.

#include "models/EntryMatchesModel.h"
#include "models/Store.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

EntryRecord entry(int i) {
    EntryRecord e;
    e.tenant = i % 3 == 0 ? u"acme"_s : QString();
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

qsizetype bruteForce(const Store& store, const QString& text) {
    const QStringList terms = text.split(u' ', Qt::SkipEmptyParts);
    qsizetype n = 0;
    store.forEach(RecordKind::Entry, [&](const Record& r) {
        n += EntryMatchesModel::matches(std::get<EntryRecord>(r), terms);
    });
    return n;
}

bool waitForScan(EntryMatchesModel& model) {
    return QTest::qWaitFor([&] { return !model.scanning(); }, 10'000);
}

} // namespace

class TestEntryMatches : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() {
        m_store = std::make_unique<Store>();
        SnapshotEvent snap{.kind = RecordKind::Entry, .records = {}, .revision = 1};
        for (int i = 0; i < 30'000; ++i)
            snap.records.emplace_back(entry(i));
        applyAll(*m_store, {std::move(snap)});
        // One chunk of 1,000 records a slice: the scan takes 30 event-loop turns.
        m_model = std::make_unique<EntryMatchesModel>(
            m_store.get(),
            EntryMatchesModel::Options{.maxRows = 500, .sliceMs = 0, .slotsPerCheck = 1000});
        m_tester = std::make_unique<QAbstractItemModelTester>(m_model.get());
    }
    void cleanup() {
        m_tester.reset();
        m_model.reset();
        m_store.reset();
    }

    void findsWhatAPlainScanFinds() {
        for (const QString& text : {u"codec.12"_s, u"acme 1.3"_s, u"DRIVER codec.29"_s}) {
            m_model->setFilterText(text);
            QVERIFY(m_model->scanning()); // one slice ran, the rest follow on the event loop
            QVERIFY(waitForScan(*m_model));
            const qsizetype want = bruteForce(*m_store, text);
            QVERIFY(want > 0);
            QCOMPARE(m_model->matchCount(), want);
            QCOMPARE(m_model->rowCount(), int(std::min<qsizetype>(want, 500)));
            QCOMPARE(m_model->truncated(), want > 500);
            for (int r = 0; r < m_model->rowCount(); ++r)
                QVERIFY(EntryMatchesModel::matches(*m_model->recordAt(r),
                                                   text.split(u' ', Qt::SkipEmptyParts)));
        }
    }

    void listsAtMostMaxRowsAndCountsTheRest() {
        m_model->setFilterText(u"codec"_s); // every entry
        QVERIFY(waitForScan(*m_model));
        QCOMPARE(m_model->matchCount(), 30'000);
        QCOMPARE(m_model->rowCount(), 500);
        QVERIFY(m_model->truncated());
    }

    void aNewFilterCancelsTheScanInProgress() {
        m_model->setFilterText(u"codec"_s);
        QVERIFY(m_model->scanning());
        m_model->setFilterText(u"codec.2999"_s);
        QVERIFY(waitForScan(*m_model));
        QCOMPARE(m_model->matchCount(), bruteForce(*m_store, u"codec.2999"_s));
        QCOMPARE(m_model->matchCount(), 11); // codec.2999 and codec.29990 … codec.29999
    }

    void followsChangesAfterTheScan() {
        m_model->setFilterText(u"codec.777"_s);
        QVERIFY(waitForScan(*m_model));
        const qsizetype before = m_model->matchCount();
        // A new match appears, a listed one is removed, another stops matching.
        EntryRecord added = entry(1);
        added.name = u"codec.7770-new"_s;
        const EntryRecord removed = entry(7771);
        applyAll(*m_store,
                 {UpsertEvent{added, 2}, RemoveEvent{RecordKind::Entry, recordId(removed), 3}});
        QCOMPARE(m_model->matchCount(), before); // one in, one out
        bool sawNew = false;
        bool sawRemoved = false;
        for (int r = 0; r < m_model->rowCount(); ++r) {
            sawNew |= m_model->recordAt(r)->name == added.name;
            sawRemoved |= m_model->recordAt(r)->name == removed.name;
        }
        QVERIFY(sawNew);
        QVERIFY(!sawRemoved);
        m_model->setFilterText(u"codec.777 driver"_s);
        QVERIFY(waitForScan(*m_model));
        const qsizetype drivers = m_model->matchCount();
        EntryRecord nowCodec = entry(7772); // a driver (even) that becomes a codec
        nowCodec.type = u"codec"_s;
        applyAll(*m_store, {UpsertEvent{nowCodec, 4}});
        QCOMPARE(m_model->matchCount(), drivers - 1);
        QCOMPARE(m_model->matchCount(), bruteForce(*m_store, u"codec.777 driver"_s));
    }

    void changesDuringAScanAreNeitherLostNorCountedTwice() {
        m_model->setFilterText(u"codec.1"_s);
        QVERIFY(m_model->scanning());
        EntryRecord fresh = entry(1);
        fresh.name = u"codec.1-late"_s;
        applyAll(*m_store, {UpsertEvent{fresh, 2}});
        QVERIFY(waitForScan(*m_model));
        QCOMPARE(m_model->matchCount(), bruteForce(*m_store, u"codec.1"_s));
    }

    void aClearedStoreEmptiesTheList() {
        m_model->setFilterText(u"codec.5"_s);
        QVERIFY(waitForScan(*m_model));
        QVERIFY(m_model->rowCount() > 0);
        m_store->clear();
        QVERIFY(waitForScan(*m_model));
        QCOMPARE(m_model->rowCount(), 0);
        QCOMPARE(m_model->matchCount(), 0);
    }

private:
    std::unique_ptr<Store> m_store;
    std::unique_ptr<EntryMatchesModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

QTEST_GUILESS_MAIN(TestEntryMatches)
#include "tst_entry_matches.moc"
