// FollowStream against a real Store fed the events a connector sends: the snapshot as
// upserts then one synced (health lines only after it), a later snapshot merged as the
// targeted changes it implies after one resync line, the revision the Store applied, the
// identity of each kind as the issue names it, and alert lines that never split a flush.

#include "models/FollowStream.h"
#include "models/Store.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

KeyRecord key(const QByteArray& k, const QByteArray& v, qint64 rev) {
    KeyRecord r;
    r.key = k;
    r.value = v;
    r.modRevision = rev;
    r.createRevision = rev;
    return r;
}

EventBatchPtr batch(EventBatch events) {
    return std::make_shared<const EventBatch>(std::move(events));
}

struct Lines {
    QList<QJsonObject> all;
    int calls = 0;
    FollowStream::Sink sink() {
        return [this](QByteArray bytes) {
            ++calls;
            for (const QByteArray& l : bytes.split('\n'))
                if (!l.isEmpty())
                    all.append(QJsonDocument::fromJson(l).object());
        };
    }
    QStringList ops() const {
        QStringList out;
        for (const auto& o : all)
            out.append(o.value(u"op").toString());
        return out;
    }
};

} // namespace

class TestFollowStream : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void snapshotThenSyncedThenChanges() {
        Store store;
        Lines lines;
        FollowStream stream(&store, u"etcd://x/p/"_s, lines.sink());
        QSignalSpy synced(&stream, &FollowStream::synced);
        store.apply(batch({SourceHealth{HealthState::Connecting, u"connecting"_s},
                           UpsertEvent{key("/p/a", "1", 5), 7},
                           UpsertEvent{key(QByteArray("/p/\xff", 4), "2", 6), 7}}));
        store.flush();
        QCOMPARE(lines.ops(), (QStringList{u"upsert"_s, u"upsert"_s})); // no health before sync
        QVERIFY(!stream.isSynced());
        store.apply(batch({SourceHealth{HealthState::Live, u"watching"_s}}));
        store.flush();
        QCOMPARE(lines.ops().mid(2), (QStringList{u"synced"_s, u"health"_s}));
        QCOMPARE(synced.size(), 1);
        QCOMPARE(lines.all.at(2).value(u"revision").toInteger(), 7);
        QCOMPARE(lines.all.at(3).value(u"state").toString(), u"live"_s);
        const QJsonObject bin = lines.all.at(0).value(u"key").toString() == u"/p/a"_s
                                    ? lines.all.at(1)
                                    : lines.all.at(0);
        QCOMPARE(bin.value(u"key").toString(), u"/p/\\xff"_s);
        QCOMPARE(QByteArray::fromBase64(bin.value(u"key_b64").toString().toLatin1()),
                 QByteArray("/p/\xff", 4));
        QCOMPARE(bin.value(u"kind").toString(), u"key"_s);

        store.apply(batch(
            {RemoveEvent{RecordKind::Key, u"/p/a"_s, 9}, UpsertEvent{key("/p/b", "3", 10), 10}}));
        store.flush();
        QCOMPARE(lines.ops().mid(4), (QStringList{u"remove"_s, u"upsert"_s}));
        QCOMPARE(lines.all.at(4).value(u"key").toString(), u"/p/a"_s);
        QCOMPARE(lines.all.at(5).value(u"revision").toInteger(), 10);
        QCOMPARE(lines.all.at(5).value(u"record").toObject().value(u"value").toString(), u"3"_s);
        QCOMPARE(synced.size(), 1);
    }

    // A snapshot after synced (an etcd compaction resync) comes as the changes it implies,
    // after one resync line that keeps the connector's words, each marked.
    void laterSnapshotIsAMarkedResync() {
        Store store;
        Lines lines;
        FollowStream stream(&store, u"etcd://x/p/"_s, lines.sink());
        store.apply(batch({UpsertEvent{key("/p/a", "1", 5), 5}, UpsertEvent{key("/p/b", "1", 5), 5},
                           SourceHealth{HealthState::Live, u"watching"_s}}));
        store.flush();
        const qsizetype before = lines.all.size();
        SnapshotEvent snap{RecordKind::Key, {}, 20};
        snap.records.emplace_back(key("/p/a", "1", 5));  // unchanged: no line
        snap.records.emplace_back(key("/p/c", "9", 18)); // new; /p/b is gone
        store.apply(batch(
            {std::move(snap), TimelineEvent{1, u"resync"_s, u"/p/"_s, u"watch was compacted"_s}}));
        store.flush();
        const QList<QJsonObject> after = lines.all.mid(before);
        QCOMPARE(after.size(), 3);
        QCOMPARE(after.at(0).value(u"op").toString(), u"resync"_s);
        QCOMPARE(after.at(0).value(u"reason").toString(), u"watch was compacted"_s);
        QCOMPARE(after.at(0).value(u"changes").toInt(), 2);
        QCOMPARE(after.at(1).value(u"op").toString(), u"remove"_s);
        QCOMPARE(after.at(1).value(u"key").toString(), u"/p/b"_s);
        QCOMPARE(after.at(2).value(u"key").toString(), u"/p/c"_s);
        QVERIFY(after.at(1).value(u"resync").toBool() && after.at(2).value(u"resync").toBool());
        QCOMPARE(after.at(2).value(u"revision").toInteger(), 20);
    }

    void keysOfInstancesAndEntries() {
        InstanceRecord i;
        i.appid = u"pay.api"_s;
        i.zone = u"z1"_s;
        i.env = u"prod"_s;
        i.hostname = u"node/1"_s;
        QCOMPARE(FollowStream::lineKey(Record(i)), u"pay.api/node/1"_s);
        QCOMPARE(FollowStream::lineKey(RecordKind::Instance, recordId(i)), u"pay.api/node/1"_s);
        EntryRecord e;
        e.registry = u"codecs"_s;
        e.tenant = u"acme"_s;
        e.name = u"zstd"_s;
        e.version = u"1.2.0"_s;
        QCOMPARE(FollowStream::lineKey(Record(e)), u"codecs#acme/zstd@1.2.0"_s);
        e.registry.clear();
        QCOMPARE(FollowStream::lineKey(RecordKind::Entry, recordId(e)), u"acme/zstd@1.2.0"_s);
    }

    // An alert raised while the Store flushes follows that flush's changes; one raised
    // between flushes goes out at once.
    void alertsFollowTheirFlush() {
        Store store;
        Lines lines;
        FollowStream stream(&store, u"demo"_s, lines.sink());
        store.apply(batch(
            {UpsertEvent{key("/p/a", "1", 5), 5}, SourceHealth{HealthState::Live, u"live"_s}}));
        store.flush();
        connect(&store, &Store::recordsChanged, &stream, [&stream] {
            stream.writeAlert(QJsonObject{{u"rule"_s, u"gone"_s}});
        });
        store.apply(batch({RemoveEvent{RecordKind::Key, u"/p/a"_s, 6}}));
        store.flush();
        QCOMPARE(lines.ops().mid(lines.ops().size() - 2), (QStringList{u"remove"_s, u"alert"_s}));
        QCOMPARE(lines.all.last().value(u"rule").toString(), u"gone"_s);
        QCOMPARE(lines.all.last().value(u"source").toString(), u"demo"_s);
        const int calls = lines.calls;
        stream.writeAlert(QJsonObject{{u"rule"_s, u"now"_s}});
        QCOMPARE(lines.calls, calls + 1);
        QCOMPARE(lines.all.last().value(u"op").toString(), u"alert"_s);
    }
};

QTEST_GUILESS_MAIN(TestFollowStream)
#include "tst_follow_stream.moc"
