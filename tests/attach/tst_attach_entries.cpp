// EntriesModel for an attached process, fed through a real Store under
// QAbstractItemModelTester: several registries are a level above tenants, ids carry the
// registry only when there is one, removals find their registry, a resync snapshot is merged
// as targeted changes, rows say what they mean (StateRole / RowStateRole) and go Muted when
// the source is Down, origins read "registered by libX.so", versions order as registry::Version.

#include "models/EntriesFilterProxy.h"
#include "models/EntriesModel.h"
#include "models/ItemRoles.h"
#include "models/RecordTable.h"
#include "models/Store.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

EntryRecord entry(const QString& registry, const QString& tenant, const QString& name,
                  const QString& version, const QString& origin = {}) {
    EntryRecord e;
    e.registry = registry;
    e.tenant = tenant;
    e.name = name;
    e.version = version;
    e.type = u"codec"_s;
    e.origin = origin;
    return e;
}

EntryRecord alias(const QString& registry, const QString& name, const QString& target) {
    EntryRecord e = entry(registry, {}, name, {});
    e.aliasOf = target;
    e.deprecated = true;
    return e;
}

void applyNow(Store& store, EventBatch events) {
    store.apply(std::make_shared<EventBatch>(std::move(events)));
    store.flush();
}

SnapshotEvent snapshot(std::vector<Record> records) {
    return SnapshotEvent{RecordKind::Entry, std::move(records), 0};
}

std::vector<Record> processSet() {
    return {entry(u"codec"_s, {}, u"zstd"_s, u"1.5.5"_s, u"/usr/lib/libcodec_zstd.so"_s),
            entry(u"codec"_s, {}, u"zstd"_s, u"1.10.0"_s, u"/usr/lib/libcodec_zstd.so"_s),
            entry(u"codec"_s, u"acme"_s, u"gzip"_s, u"1.2.0"_s, u"/usr/bin/myapp"_s),
            alias(u"codec"_s, u"zlib"_s, u"gzip"_s),
            entry(u"driver"_s, {}, u"pg"_s, u"2.0.0"_s, u"builtin"_s)};
}

QStringList childTexts(const QAbstractItemModel& model, const QModelIndex& parent) {
    QStringList out;
    for (int r = 0; r < model.rowCount(parent); ++r)
        out << model.index(r, 0, parent).data().toString();
    return out;
}

constexpr auto kReport = QAbstractItemModelTester::FailureReportingMode::QtTest;

} // namespace

class TestAttachEntries : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void idsCarryTheRegistry();
    void registriesAboveTenants();
    void removalsFindTheirRegistry();
    void resyncIsTargeted();
    void statesAndOrigins();
    void mutedWhileDown();
    void versionsOrderAsSemver();
    void filterKeepsRegistryRows();
};

void TestAttachEntries::idsCarryTheRegistry() {
    QCOMPARE(recordId(entry({}, u"acme"_s, u"gzip"_s, u"1.0.0"_s)), u"acme/gzip@1.0.0"_s);
    QCOMPARE(recordId(entry(u"codec"_s, u"acme"_s, u"gzip"_s, u"1.0.0"_s)),
             u"codec#acme/gzip@1.0.0"_s);
    QCOMPARE(recordId(alias(u"codec"_s, u"zlib"_s, u"gzip"_s)), u"codec#/zlib"_s);
    // The store's table hashes and compares ids from the pieces: in step with recordId().
    for (const Record& r : processSet()) {
        const QString id = recordId(r);
        QCOMPARE(idHash(r), idHash(id));
        QVERIFY(idEquals(r, id));
        QVERIFY(!idEquals(r, id.sliced(id.indexOf(u'#') + 1)));
    }
    Store store;
    applyNow(store, {snapshot(processSet()), UpsertEvent{entry({}, {}, u"zstd"_s, u"1.5.5"_s)}});
    QCOMPARE(store.count(RecordKind::Entry), 6); // same name, other registry: another record
    QVERIFY(store.find(RecordKind::Entry, u"codec#/zstd@1.5.5"_s));
    QVERIFY(store.find(RecordKind::Entry, u"/zstd@1.5.5"_s));
}

void TestAttachEntries::registriesAboveTenants() {
    Store store;
    EntriesModel model(&store);
    QAbstractItemModelTester tester(&model, kReport);
    applyNow(store, {snapshot(processSet())});
    QCOMPARE(childTexts(model, {}), (QStringList{u"codec"_s, u"driver"_s}));
    const QModelIndex codec = model.index(0, 0);
    QCOMPARE(codec.data(EntriesModel::LevelRole).toInt(), int(EntriesModel::RegistryLevel));
    QCOMPARE(codec.data(EntriesModel::RegistryRole).toString(), u"codec"_s);
    QCOMPARE(childTexts(model, codec), (QStringList{u"(global)"_s, u"acme"_s}));
    const QModelIndex global = model.index(0, 0, codec);
    QCOMPARE(global.data(EntriesModel::LevelRole).toInt(), int(EntriesModel::TenantLevel));
    QCOMPARE(childTexts(model, global), (QStringList{u"zlib"_s, u"zstd"_s}));
    const QModelIndex zstd = model.index(1, 0, global);
    QCOMPARE(childTexts(model, zstd), (QStringList{u"1.10.0"_s, u"1.5.5"_s}));
    QCOMPARE(model.index(0, 0, zstd).data(EntriesModel::RecordIdRole).toString(),
             u"codec#/zstd@1.10.0"_s);
    QCOMPARE(model.index(0, 0, zstd).parent(), zstd);
    QCOMPARE(zstd.parent().parent(), codec);
    QCOMPARE(model.indexOf(u"driver#/pg@2.0.0"_s).data().toString(), u"2.0.0"_s);
    QCOMPARE(model.recordsAt(codec).size(), size_t(4));
    QCOMPARE(model.entryCount(), 5);
    // The demo's records (no registry) sit at tenant level beside them.
    applyNow(store, {UpsertEvent{entry({}, {}, u"dns"_s, u"1.0.0"_s)}});
    QCOMPARE(childTexts(model, {}), (QStringList{u"codec"_s, u"driver"_s, u"(global)"_s}));
    QCOMPARE(model.index(2, 0).data(EntriesModel::LevelRole).toInt(),
             int(EntriesModel::TenantLevel));
}

void TestAttachEntries::removalsFindTheirRegistry() {
    Store store;
    EntriesModel model(&store);
    QAbstractItemModelTester tester(&model, kReport);
    applyNow(store, {snapshot(processSet())});
    applyNow(store, {RemoveEvent{RecordKind::Entry, u"codec#/zlib"_s},
                     RemoveEvent{RecordKind::Entry, u"codec#/zstd@1.5.5"_s}});
    const QModelIndex global = model.index(0, 0, model.index(0, 0));
    QCOMPARE(childTexts(model, global), QStringList{u"zstd"_s});
    QCOMPARE(model.rowCount(model.index(0, 0, global)), 1);
    // The last entry of a registry: its row goes.
    applyNow(store, {RemoveEvent{RecordKind::Entry, u"driver#/pg@2.0.0"_s}});
    QCOMPARE(childTexts(model, {}), QStringList{u"codec"_s});
    QCOMPARE(model.entryCount(), 2);
    applyNow(store, {snapshot({})});
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.entryCount(), 0);
}

void TestAttachEntries::resyncIsTargeted() {
    Store store;
    EntriesModel model(&store);
    QAbstractItemModelTester tester(&model, kReport);
    applyNow(store, {snapshot(processSet())});
    const QPersistentModelIndex pg = model.indexOf(u"driver#/pg@2.0.0"_s);
    QSignalSpy reset(&model, &QAbstractItemModel::modelAboutToBeReset);
    QSignalSpy layout(&model, &QAbstractItemModel::layoutAboutToBeChanged);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    std::vector<Record> next = processSet();
    std::get<EntryRecord>(next[0]).description = u"changed"_s; // codec zstd 1.5.5 changes
    next.erase(next.begin() + 2);                              // acme's gzip goes
    next.emplace_back(entry(u"codec"_s, {}, u"zstd"_s, u"1.11.0"_s));
    applyNow(store, {snapshot(next)});
    QCOMPARE(reset.count(), 0);
    QCOMPARE(layout.count(), 0);
    QCOMPARE(removed.count(), 1); // the acme tenant row (its only name)
    QCOMPARE(inserted.count(), 1);
    bool zstdSignalled = false;
    for (const auto& args : changed)
        zstdSignalled = zstdSignalled || args.at(0).value<QModelIndex>().data(
                                             EntriesModel::RecordIdRole) == u"codec#/zstd@1.5.5"_s;
    QVERIFY(zstdSignalled);
    QVERIFY(pg.isValid()); // untouched rows keep their indexes
    QCOMPARE(pg.data(EntriesModel::RecordIdRole).toString(), u"driver#/pg@2.0.0"_s);
}

void TestAttachEntries::statesAndOrigins() {
    Store store;
    EntriesModel model(&store);
    applyNow(store, {snapshot(processSet())});
    const QModelIndex zlib = model.indexOf(u"codec#/zlib"_s);
    QCOMPARE(zlib.data(StateRole).toInt(), int(ItemState::Deprecated));
    QVERIFY(zlib.siblingAtColumn(EntriesModel::StateColumn).data().toString().contains(u"gzip"));
    const QModelIndex zstd = model.indexOf(u"codec#/zstd@1.5.5"_s);
    QCOMPARE(zstd.data(StateRole).toInt(), int(ItemState::Normal));
    QCOMPARE(zstd.data(RowStateRole).toInt(), int(ItemState::Normal));
    QCOMPARE(zstd.siblingAtColumn(EntriesModel::OriginColumn).data().toString(),
             u"registered by libcodec_zstd.so"_s);
    QCOMPARE(zstd.siblingAtColumn(EntriesModel::OriginColumn).data(Qt::ToolTipRole).toString(),
             u"/usr/lib/libcodec_zstd.so"_s);
    QCOMPARE(model.indexOf(u"driver#/pg@2.0.0"_s)
                 .siblingAtColumn(EntriesModel::OriginColumn)
                 .data()
                 .toString(),
             u"builtin"_s);
    // Models say what, never how: no brushes, colours or fonts.
    QVERIFY(!zlib.data(Qt::ForegroundRole).isValid());
    QVERIFY(!zlib.data(Qt::FontRole).isValid());
    QVERIFY(!model.index(0, 0).data(Qt::BackgroundRole).isValid());
}

void TestAttachEntries::mutedWhileDown() {
    Store store;
    EntriesModel model(&store);
    QAbstractItemModelTester tester(&model, kReport);
    applyNow(store, {SourceHealth{HealthState::Live, {}}, snapshot(processSet())});
    const QModelIndex version = model.indexOf(u"codec#/zstd@1.5.5"_s);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    applyNow(store, {SourceHealth{HealthState::Down, u"process 1234 (myapp) exited"_s}});
    QVERIFY(model.isMuted());
    QCOMPARE(store.count(RecordKind::Entry), 5); // the last known state stays
    QCOMPARE(version.data(RowStateRole).toInt(), int(ItemState::Muted));
    QCOMPARE(version.data(StateRole).toInt(), int(ItemState::Muted));
    QCOMPARE(model.index(0, 0).data(RowStateRole).toInt(), int(ItemState::Muted));
    // Every level was told, including the version rows.
    bool versionsTold = false;
    for (const auto& args : changed)
        versionsTold = versionsTold || args.at(0).value<QModelIndex>().parent() == version.parent();
    QVERIFY(versionsTold);
    applyNow(store, {SourceHealth{HealthState::Live, u"reattached"_s}});
    QVERIFY(!model.isMuted());
    QCOMPARE(version.data(RowStateRole).toInt(), int(ItemState::Normal));
}

void TestAttachEntries::versionsOrderAsSemver() {
    QStringList v{u"1.2.13"_s, u"1.10.0"_s,  u"1.3.0-beta.2"_s, u"1.3.0-beta.10"_s,
                  u"1.3.0"_s,  u"nightly"_s, u"0.9.0"_s};
    std::sort(v.begin(), v.end(), [](const QString& a, const QString& b) {
        return EntriesModel::compareVersions(a, b) < 0;
    });
    QCOMPARE(v, (QStringList{u"1.10.0"_s, u"1.3.0"_s, u"1.3.0-beta.10"_s, u"1.3.0-beta.2"_s,
                             u"1.2.13"_s, u"0.9.0"_s, u"nightly"_s}));
    QCOMPARE(EntriesModel::compareVersions(u"1.0.0", u"1.0.0"), 0);
}

void TestAttachEntries::filterKeepsRegistryRows() {
    Store store;
    EntriesModel model(&store);
    EntriesFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester tester(&proxy, kReport);
    applyNow(store, {snapshot(processSet())});
    proxy.setFilterText(u"pg"_s);
    QCOMPARE(childTexts(proxy, {}), QStringList{u"driver"_s});
    proxy.setFilterText(u"libcodec_zstd"_s); // the origin is searchable
    QCOMPARE(childTexts(proxy, {}), QStringList{u"codec"_s});
    proxy.setFilterText({});
    QCOMPARE(proxy.rowCount(), 2);
}

QTEST_GUILESS_MAIN(TestAttachEntries)
#include "tst_attach_entries.moc"
