// Snapshots as data: every record kind written and read back is equal (etcd bytes that are not
// UTF-8, 64-bit nanosecond stamps included), the reader's errors are sentences that name what
// is wrong, and SnapshotDiff reports added / removed / changed by key with the fields.

#include "models/RecordJson.h"
#include "models/Snapshot.h"
#include "models/SnapshotDiff.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

EntryRecord entry(const QString& name, const QString& version = u"1.0.0"_s) {
    EntryRecord e;
    e.tenant = u"acme"_s;
    e.name = name;
    e.version = version;
    e.type = u"codec"_s;
    e.origin = u"demo"_s;
    e.registeredAtMs = 1764619200123;
    return e;
}

InstanceRecord instance(const QString& host) {
    InstanceRecord r;
    r.appid = u"payments.api"_s;
    r.zone = u"sh001"_s;
    r.env = u"prod"_s;
    r.hostname = host;
    r.addrs = {u"http://10.0.0.1:8000"_s, u"grpc://10.0.0.1:9000"_s};
    r.metadata = {{u"weight"_s, u"10"_s}};
    r.regTimestampNs = 1764619200123456789; // past 2^53: a double would round it
    r.renewTimestampNs = 1764619230987654321;
    r.renewAgeMs = 1500;
    r.observedAtMs = 1764619231000;
    r.staleness = Staleness::Fresh;
    r.source = u"discovery"_s;
    return r;
}

KeyRecord key(QByteArray k, QByteArray v) {
    KeyRecord r;
    r.key = std::move(k);
    r.value = std::move(v);
    r.createRevision = 7;
    r.modRevision = 9007199254740993; // 2^53 + 1
    r.version = 2;
    r.lease = 0x694d7c1a2b3c4d5e;
    return r;
}

SourceSnapshot sample() {
    SourceSnapshot s;
    s.source = u"etcd://127.0.0.1:2379/"_s;
    s.takenAtMs = 1764619200456;
    s.health = SourceHealth{HealthState::Live, u"3 members"_s};
    s.of(RecordKind::Entry) = {entry(u"gzip"_s), entry(u"zstd"_s)};
    s.of(RecordKind::Instance) = {instance(u"node-1"_s)};
    s.of(RecordKind::Key) = {key("/svc/a", "plain"), key("/bin/\xff\x00\x80", "\xc3\x28\x00\xfe"),
                             key("/back\\slash", "\xef\xbb\xbf"
                                                 "bom"),
                             key("\xef\xbb\xbf"
                                 "/bom",
                                 "x")};
    s.metrics = {
        MetricsSample{1000, {MetricPoint{u"lookup_total"_s, {{u"outcome"_s, u"hit"_s}}, 42}}},
        MetricsSample{2000, {MetricPoint{u"entries"_s, {}, 0.25}}}};
    s.timeline = {TimelineEvent{1500, u"register"_s, u"acme/gzip@1.0.0"_s, u"registered"_s}};
    return s;
}

QByteArray written(const SourceSnapshot& s) {
    return QJsonDocument(toJson(s)).toJson();
}

QByteArray edited(const SourceSnapshot& s, const std::function<void(QJsonObject&)>& edit) {
    QJsonObject o = toJson(s);
    edit(o);
    return QJsonDocument(o).toJson();
}

} // namespace

class TestSnapshot : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyKindRoundTripsExactly() {
        const SourceSnapshot s = sample();
        auto read = readSnapshot(written(s));
        QVERIFY2(read, read ? "" : qPrintable(read.error()));
        QCOMPARE(read->size(), size_t(1));
        const SourceSnapshot& back = read->front();
        QCOMPARE(back.source, s.source);
        QCOMPARE(back.takenAtMs, s.takenAtMs);
        QCOMPARE(back.health.reason, s.health.reason);
        for (RecordKind kind : {RecordKind::Entry, RecordKind::Instance, RecordKind::Key}) {
            QCOMPARE(back.of(kind).size(), s.of(kind).size());
            for (size_t i = 0; i < s.of(kind).size(); ++i)
                QVERIFY2(back.of(kind)[i] == s.of(kind)[i], qPrintable(recordId(s.of(kind)[i])));
        }
        QCOMPARE(back.metrics.size(), size_t(2));
        QCOMPARE(back.metrics[0].points[0].labels.value(u"outcome"_s), u"hit"_s);
        QCOMPARE(back.metrics[1].points[0].value, 0.25);
        QCOMPARE(back.timeline.size(), size_t(1));
        QCOMPARE(back.timeline[0].subject, u"acme/gzip@1.0.0"_s);
        QVERIFY(diffSnapshots(s, back).equal());
    }

    void theDocumentIsVersioned() {
        const QJsonObject o = toJson(sample());
        QCOMPARE(o.value(u"schema"_s).toString(), u"regscope-snapshot"_s);
        QCOMPARE(o.value(u"schema_version"_s).toInt(), 1);
        QCOMPARE(o.value(u"taken_at"_s).toString(), u"2025-12-01T20:00:00.456Z"_s);
        // The fields --dump always had stay: the latest sample is "metrics".
        QCOMPARE(o.value(u"metrics"_s).toObject().value(u"timestamp_ms"_s).toInteger(), 2000);
        QCOMPARE(o.value(u"counts"_s).toObject().value(u"keys"_s).toInt(), 4);
        QCOMPARE(o.value(u"metric_history"_s).toArray().size(), 2);
    }

    void manySourcesAreRead() {
        QJsonObject one = toJson(sample());
        one.remove(u"taken_at"_s);
        const QJsonObject doc{{u"schema"_s, u"regscope-snapshot"_s},
                              {u"schema_version"_s, 1},
                              {u"taken_at"_s, u"2025-12-01T20:00:00.456Z"_s},
                              {u"sources"_s, QJsonArray{one, one}}};
        auto read = readSnapshot(QJsonDocument(doc).toJson());
        QVERIFY2(read, read ? "" : qPrintable(read.error()));
        QCOMPARE(read->size(), size_t(2));
        QCOMPARE(read->at(1).takenAtMs, 1764619200456); // the document's time
    }

    void readerErrorsSayWhatIsWrong_data() {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        const SourceSnapshot s = sample();
        QTest::newRow("not json") << QByteArray("{\"schema\": ") << u"not JSON"_s;
        QTest::newRow("an array") << QByteArray("[]") << u"expected a JSON object"_s;
        QTest::newRow("no schema") << QByteArray("{\"entries\": []}") << u"no \"schema\""_s;
        QTest::newRow("other schema")
            << edited(s, [](QJsonObject& o) { o[u"schema"_s] = u"prometheus"_s; })
            << u"its schema is 'prometheus'"_s;
        QTest::newRow("newer") << edited(s, [](QJsonObject& o) { o[u"schema_version"_s] = 2; })
                               << u"schema_version 2, newer than this regscope reads (up to 1)"_s;
        QTest::newRow("bad version")
            << edited(s, [](QJsonObject& o) { o[u"schema_version"_s] = u"one"_s; })
            << u"schema_version: expected a positive integer"_s;
        QTest::newRow("entries not array") << edited(s, [](QJsonObject& o) { o[u"entries"_s] = 5; })
                                           << u"\"entries\": expected an array"_s;
        QTest::newRow("record not object")
            << edited(s, [](QJsonObject& o) { o[u"keys"_s] = QJsonArray{1}; })
            << u"keys[0]: expected an object"_s;
        QTest::newRow("field type") << edited(s, [](QJsonObject& o) {
            QJsonArray e = o[u"entries"_s].toArray();
            QJsonObject first = e[1].toObject();
            first[u"name"_s] = 7;
            e[1] = first;
            o[u"entries"_s] = e;
        }) << u"entries[1].name: expected a string"_s;
        QTest::newRow("bad base64") << edited(s, [](QJsonObject& o) {
            QJsonArray k = o[u"keys"_s].toArray();
            QJsonObject first = k[0].toObject();
            first[u"value_b64"_s] = u"@@@"_s;
            k[0] = first;
            o[u"keys"_s] = k;
        }) << u"keys[0].value_b64: expected base64"_s;
        QTest::newRow("bad time") << edited(s, [](QJsonObject& o) {
            o[u"taken_at"_s] = u"yesterday"_s;
        }) << u"taken_at: expected an ISO-8601 time"_s;
        QTest::newRow("bad health") << edited(s, [](QJsonObject& o) {
            o[u"health"_s] = QJsonObject{{u"state"_s, u"x"_s}};
        }) << u"health.state"_s;
    }

    void readerErrorsSayWhatIsWrong() {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        auto read = readSnapshot(json);
        QVERIFY(!read);
        QVERIFY2(read.error().contains(expected), qPrintable(read.error()));
    }

    void fileErrorsNameTheFile() {
        QTemporaryDir dir;
        const QString missing = dir.filePath(u"none.json"_s);
        auto read = readSnapshotFile(missing);
        QVERIFY(!read);
        QVERIFY2(read.error().contains(missing) && read.error().contains(u"no such"_s),
                 qPrintable(read.error()));
    }

    void diffNamesAddedRemovedAndChangedFields() {
        SourceSnapshot a = sample();
        SourceSnapshot b = sample();
        b.of(RecordKind::Entry).erase(b.of(RecordKind::Entry).begin()); // gzip removed
        b.of(RecordKind::Entry).push_back(entry(u"brotli"_s));          // brotli added
        std::get<KeyRecord>(b.of(RecordKind::Key)[0]).value = "changed";
        std::get<KeyRecord>(b.of(RecordKind::Key)[0]).modRevision += 1;
        const SnapshotDiff d = diffSnapshots(a, b);
        QCOMPARE(d.added, 1);
        QCOMPARE(d.removed, 1);
        QCOMPARE(d.changed, 1);
        QCOMPARE(d.changes[0].id, u"acme/brotli@1.0.0"_s);
        QCOMPARE(d.changes[0].type, RecordChange::Type::Added);
        QCOMPARE(d.changes[1].id, u"acme/gzip@1.0.0"_s);
        QCOMPARE(d.changes[1].type, RecordChange::Type::Removed);
        const RecordChange& c = d.changes[2];
        QCOMPARE(c.id, u"/svc/a"_s);
        QCOMPARE(c.fields.size(), size_t(2));
        QCOMPARE(c.fields[0].field, u"mod_revision"_s);
        QCOMPARE(c.fields[1].field, u"value"_s);
        QCOMPARE(c.fields[1].before.toString(), u"plain"_s);
        const QString text = diffText(d, u"A"_s, u"B"_s);
        QVERIFY2(text.contains(u"entries:\n  + acme/brotli@1.0.0\n  - acme/gzip@1.0.0\n"_s),
                 qPrintable(text));
        QVERIFY2(text.contains(u"  ~ /svc/a: value \"plain\" → \"changed\"\n"_s), qPrintable(text));
        QVERIFY2(text.endsWith(u"A → B: 1 added, 1 removed, 1 changed\n"_s), qPrintable(text));
        const QJsonObject json = diffJson(d, u"A"_s, u"B"_s);
        QCOMPARE(json.value(u"equal"_s).toBool(), false);
        const QJsonObject changed = json.value(u"changes"_s).toArray()[2].toObject();
        QCOMPARE(changed.value(u"kind"_s).toString(), u"keys"_s);
        QCOMPARE(changed.value(u"fields"_s).toArray()[1].toObject().value(u"new"_s).toString(),
                 u"changed"_s);
    }

    // A live source compared with its snapshot a minute later: renews moved the instance's
    // stamps, nothing else happened. Equal unless asked for every field.
    void volatileFieldsAreIgnored() {
        SourceSnapshot a = sample();
        SourceSnapshot b = sample();
        auto& later = std::get<InstanceRecord>(b.of(RecordKind::Instance)[0]);
        later.renewTimestampNs += 30'000'000'000;
        later.renewAgeMs = 200;
        later.observedAtMs += 60'000;
        QVERIFY(diffSnapshots(a, b).equal());
        QCOMPARE(diffSnapshots(a, b, DiffOptions{.ignoreVolatile = false}).changed, 1);
        later.status = 2; // WAITING: a real change
        const SnapshotDiff d = diffSnapshots(a, b);
        QCOMPARE(d.changed, 1);
        QCOMPARE(d.changes[0].fields.size(), size_t(1));
        QCOMPARE(d.changes[0].fields[0].field, u"status"_s);
        QVERIFY(diffText(d, u"A"_s, u"B"_s).contains(u"status 1 → 2"_s));
    }
};

QTEST_GUILESS_MAIN(TestSnapshot)
#include "tst_snapshot.moc"
