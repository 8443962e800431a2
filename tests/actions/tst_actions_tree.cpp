// EtcdKeyTreeModel fed by the real Store: folders by '/', counts per folder, one insert per
// run of new rows under a parent, folders pruned when their last key goes, never a reset after
// the first load; checked by QAbstractItemModelTester throughout.

#include "models/ByteText.h"
#include "models/Store.h"
#include "models/etcd/EtcdKeyTreeModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

KeyRecord kv(const QByteArray& key, const QByteArray& value, qint64 rev) {
    KeyRecord r;
    r.key = key;
    r.value = value;
    r.createRevision = rev;
    r.modRevision = rev;
    r.version = 1;
    return r;
}

void upsert(Store& store, std::vector<KeyRecord> records) {
    auto batch = std::make_shared<EventBatch>();
    for (auto& r : records) {
        const qint64 rev = r.modRevision;
        batch->push_back(UpsertEvent{Record(std::move(r)), rev});
    }
    store.apply(batch);
    store.flush();
}

void remove(Store& store, const QStringList& keys) {
    auto batch = std::make_shared<EventBatch>();
    for (const auto& k : keys)
        batch->push_back(RemoveEvent{RecordKind::Key, k, 0});
    store.apply(batch);
    store.flush();
}

} // namespace

class TestActionsTree : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void foldersCountsAndRuns() {
        Store store;
        upsert(store, {kv("/svc/a/1", "x", 2), kv("/svc/b/1", "y", 3), kv("/top", "t", 4)});
        EtcdKeyTreeModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setStore(&store);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsAboutToBeRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

        QCOMPARE(model.rowCount(), 1); // "/"
        const QModelIndex root = model.indexOf("/");
        QCOMPARE(model.keyCount(root), 3);
        QCOMPARE(model.keyCount(model.indexOf("/svc/")), 2);
        QCOMPARE(model.rowCount(model.indexOf("/svc/")), 2);
        QCOMPARE(model.indexOf("/svc/a/1").data().toString(), u"1"_s);
        QVERIFY(model.keyAt(model.indexOf("/top")));

        // 50 new keys under /svc/c/ (a new folder) and 10 under /svc/a/ interleaved with the
        // one there: the new folder is ONE insert; /svc/a/ gets one insert per run.
        std::vector<KeyRecord> batch;
        for (int i = 0; i < 50; ++i)
            batch.push_back(kv("/svc/c/" + QByteArray::number(i), "v", 10 + i));
        for (int i = 2; i < 12; ++i)
            batch.push_back(kv("/svc/a/" + QByteArray::number(i), "v", 100 + i));
        batch.push_back(kv("/svc/a/0", "v", 200));
        upsert(store, std::move(batch));
        QCOMPARE(model.keyCount(model.indexOf("/svc/")), 63);
        QCOMPARE(model.rowCount(model.indexOf("/svc/c/")), 50);
        QCOMPARE(model.rowCount(model.indexOf("/svc/a/")), 12);
        // /svc/c/: 1 insert. /svc/a/ in name order is "0","1","10","11","2".."9" with "1"
        // already there: new rows [0] and [2..11], 2 inserts.
        QCOMPARE(inserted.size(), 1 + 2);
        QCOMPARE(resets.size(), 0);
        QVERIFY(!changed.isEmpty()); // the counts of / and /svc/

        // An edit changes the row, not the structure.
        inserted.clear();
        changed.clear();
        upsert(store, {kv("/svc/a/1", "edited", 300)});
        QCOMPARE(inserted.size(), 0);
        QCOMPARE(model.keyAt(model.indexOf("/svc/a/1"))->value, QByteArray("edited"));
        QCOMPARE(model.seenRevision(model.indexOf("/svc/a/")), 300);

        // Removing every key of /svc/c/ removes the folder in one go.
        QStringList all;
        for (int i = 0; i < 50; ++i)
            all << u"/svc/c/"_s + QString::number(i);
        remove(store, all);
        QCOMPARE(removed.size(), 1);
        QVERIFY(!model.indexOf("/svc/c/").isValid());
        QCOMPARE(model.keyCount(model.indexOf("/svc/")), 13);
        QCOMPARE(model.keysUnder(model.indexOf("/svc/a/")).size(), size_t(12));
        QCOMPARE(resets.size(), 0);
    }

    // A key can be a folder too ("/cfg/" with keys under it); removing it keeps the folder.
    void keyThatIsAFolder() {
        Store store;
        EtcdKeyTreeModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setStore(&store);
        upsert(store, {kv("/cfg/", "self", 2), kv("/cfg/x", "x", 3)});
        const QModelIndex cfg = model.indexOf("/cfg/");
        QVERIFY(model.keyAt(cfg));
        QCOMPARE(model.keyCount(cfg), 2);
        remove(store, {u"/cfg/"_s});
        QVERIFY(model.indexOf("/cfg/").isValid());
        QVERIFY(!model.keyAt(model.indexOf("/cfg/")));
        QCOMPARE(model.keyCount(model.indexOf("/cfg/")), 1);
        remove(store, {u"/cfg/x"_s});
        QCOMPARE(model.rowCount(), 0);

        // Keys are bytes: a key that is not UTF-8 is placed, shown escaped and removed by the
        // Store's lossless id.
        const KeyRecord binary = kv(QByteArray("/bin/\xff\x01", 7), "b", 9);
        upsert(store, {binary});
        const QModelIndex leaf = model.indexOf(binary.key);
        QVERIFY(leaf.isValid());
        QCOMPARE(leaf.data().toString(), escapeBytes(QByteArray("\xff\x01", 2)));
        remove(store, {recordId(binary)});
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestActionsTree)
#include "tst_actions_tree.moc"
