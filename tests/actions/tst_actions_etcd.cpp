// etcd actions against a real etcd: put/edit/delete/prefix-delete equal what etcdctl shows,
// a put racing a concurrent change is refused and shows the winner, revoking a lease removes
// its keys, a key's history equals `etcdctl get --rev`, an action in flight can be canceled,
// and every action lands on the Timeline and in the action log.

#include "../etcd/EtcdProcess.h"
#include "../etcd/EtcdTestSupport.h"
#include "ActionTestSupport.h"
#include "connectors/etcd/EtcdActions.h"
#include "models/actions/ActionDispatcher.h"

#include <QElapsedTimer>
#include <QTemporaryDir>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;

class TestActionsEtcd : public QObject {
    Q_OBJECT
    std::unique_ptr<EtcdProcess> m_etcd;
    QTemporaryDir m_dir;
    QString m_source;
    std::unique_ptr<ActionPolicy> m_policy;
    std::unique_ptr<ActionLog> m_log;
    std::unique_ptr<ActionDispatcher> m_actions;
    QList<TimelineEvent> m_timeline;

    bool put(const QString& key, const QString& value, const QString& lease = {}) {
        QStringList args{u"put"_s, key, value};
        if (!lease.isEmpty())
            args.append(u"--lease="_s + lease);
        return m_etcd->etcdctl(args).has_value();
    }
    std::optional<KeyRecord> get(const QByteArray& key) {
        auto state = etcdctlState(*m_etcd, key);
        if (!state || !state->contains(key))
            return std::nullopt;
        return state->at(key);
    }
    ActionRequest request(ActionKind kind, const QByteArray& key = {}) {
        ActionRequest r;
        r.kind = kind;
        r.source = m_source;
        r.key = key;
        return r;
    }
    ActionResult act(const ActionRequest& r) { return test::act(*m_actions, r); }
    QString grantLease(int ttl) {
        auto granted = m_etcd->etcdctl({u"lease"_s, u"grant"_s, QString::number(ttl)});
        return granted ? QString::fromUtf8(granted->split(' ').value(1)) : QString();
    }

private Q_SLOTS:
    void initTestCase() {
        m_etcd = std::make_unique<EtcdProcess>(1);
        QVERIFY2(m_etcd->start(), qPrintable(m_etcd->lastError()));
        QVERIFY(m_dir.isValid());
        m_source = m_etcd->etcdUrl(u"/"_s);
        m_policy = std::make_unique<ActionPolicy>();
        m_log = std::make_unique<ActionLog>(ActionLog::Options{m_dir.filePath(u"actions.jsonl"_s)});
        m_actions = std::make_unique<ActionDispatcher>(m_policy.get(), m_log.get());
        EtcdOptions o = testOptions(m_etcd->endpoints(), QByteArray());
        m_actions->setExecutor(m_source, std::make_shared<EtcdActions>(o));
        connect(m_actions.get(), &ActionDispatcher::timelineReady, this, [this](EventBatchPtr b) {
            for (const auto& e : *b)
                if (const auto* t = std::get_if<TimelineEvent>(&e))
                    m_timeline.append(*t);
        });
        QVERIFY(m_actions->setWritable(m_source, true));
    }
    void cleanupTestCase() {
        m_actions.reset();
        m_etcd.reset();
    }

    // Create, then edit on the revision seen; etcdctl shows exactly the bytes sent, and the
    // window's store (fed by the watch, not by the action) follows.
    void putCreateAndEditEqualEtcdctl() {
        Wired w(testOptions(m_etcd->endpoints(), "/put/"));
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 10000);

        ActionRequest create = request(ActionKind::EtcdPut, "/put/a");
        create.value = QByteArray("{\"a\": 1,\n  \"b\":[1, 2]}\n\x01", 24);
        ActionResult r = act(create);
        QCOMPARE(r.code, ActionResult::Code::Ok);
        auto kv = get("/put/a");
        QVERIFY(kv);
        QCOMPARE(kv->value, create.value);
        QCOMPARE(kv->modRevision, r.revision);
        QCOMPARE(kv->version, 1);

        ActionRequest edit = create;
        edit.value = "edited";
        edit.expectedModRevision = kv->modRevision;
        r = act(edit);
        QCOMPARE(r.code, ActionResult::Code::Ok);
        kv = get("/put/a");
        QVERIFY(kv);
        QCOMPARE(kv->value, QByteArray("edited"));
        QCOMPARE(kv->version, 2);
        QTRY_COMPARE_WITH_TIMEOUT(storeState(w.store), *etcdctlState(*m_etcd, "/put/"), 5000);

        // Creating a key that exists is a conflict that shows the key as it is.
        r = act(create);
        QCOMPARE(r.code, ActionResult::Code::Conflict);
        QVERIFY(r.currentExists);
        QCOMPARE(r.current.value, QByteArray("edited"));
        QCOMPARE(get("/put/a")->value, QByteArray("edited"));
    }

    void putRacingAConcurrentChangeIsRefused() {
        QVERIFY(put(u"/race/k"_s, u"seen"_s));
        const qint64 seen = get("/race/k")->modRevision;
        QVERIFY(put(u"/race/k"_s, u"theirs"_s)); // someone else, after the user looked
        ActionRequest edit = request(ActionKind::EtcdPut, "/race/k");
        edit.value = "mine";
        edit.expectedModRevision = seen;
        const ActionResult r = act(edit);
        QCOMPARE(r.code, ActionResult::Code::Conflict);
        QVERIFY(r.currentExists);
        QCOMPARE(r.current.value, QByteArray("theirs"));
        QVERIFY(r.current.modRevision > seen);
        QVERIFY2(r.message.contains(u"changed after you saw it"_s), qPrintable(r.message));
        QCOMPARE(get("/race/k")->value, QByteArray("theirs"));

        // A key deleted meanwhile is not brought back either.
        QVERIFY(m_etcd->etcdctl({u"del"_s, u"/race/k"_s}));
        edit.expectedModRevision = r.current.modRevision;
        QCOMPARE(act(edit).code, ActionResult::Code::Conflict);
        QVERIFY(!get("/race/k"));
    }

    void deleteKeyEqualsEtcdctl() {
        QVERIFY(put(u"/del/a"_s, u"1"_s));
        QVERIFY(put(u"/del/b"_s, u"2"_s));
        ActionRequest del = request(ActionKind::EtcdDelete, "/del/a");
        del.expectedModRevision = get("/del/a")->modRevision;
        ActionResult r = act(del);
        QCOMPARE(r.code, ActionResult::Code::Ok);
        QCOMPARE(r.count, 1);
        const auto state = etcdctlState(*m_etcd, "/del/");
        QVERIFY(state);
        QCOMPARE(state->size(), size_t(1));
        QVERIFY(state->contains("/del/b"));

        // Stale: b changed after it was seen.
        del.key = "/del/b";
        del.expectedModRevision = get("/del/b")->modRevision;
        QVERIFY(put(u"/del/b"_s, u"3"_s));
        r = act(del);
        QCOMPARE(r.code, ActionResult::Code::Conflict);
        QCOMPARE(r.current.value, QByteArray("3"));
        QVERIFY(get("/del/b"));
    }

    void deletePrefixWithItsCount() {
        for (int i = 0; i < 7; ++i)
            QVERIFY(put(u"/pre/x/"_s + QString::number(i), u"v"_s));
        QVERIFY(put(u"/pre/y"_s, u"stays"_s));
        auto state = etcdctlState(*m_etcd, "/pre/x/");
        qint64 seen = 0;
        for (const auto& [k, kv] : *state)
            seen = std::max(seen, kv.modRevision);

        // A key changed after the user's view refuses the whole delete.
        QVERIFY(put(u"/pre/x/3"_s, u"changed"_s));
        ActionRequest del = request(ActionKind::EtcdDeletePrefix, "/pre/x/");
        del.seenRevision = seen;
        del.expectedCount = 7;
        ActionResult r = act(del);
        QCOMPARE(r.code, ActionResult::Code::Conflict);
        QVERIFY2(r.message.contains(u"/pre/x/3"_s), qPrintable(r.message));
        QCOMPARE(etcdctlState(*m_etcd, "/pre/x/")->size(), size_t(7));

        del.seenRevision = get("/pre/x/3")->modRevision;
        r = act(del);
        QCOMPARE(r.code, ActionResult::Code::Ok);
        QCOMPARE(r.count, 7);
        QCOMPARE(etcdctlState(*m_etcd, "/pre/x/")->size(), size_t(0));
        QCOMPARE(etcdctlState(*m_etcd, "/pre/")->size(), size_t(1));
    }

    void leasesListKeysKeepAliveRevoke() {
        const QString lease = grantLease(60);
        QVERIFY(!lease.isEmpty());
        const qint64 id = lease.toLongLong(nullptr, 16);
        QVERIFY(put(u"/lease/a"_s, u"1"_s, lease));
        QVERIFY(put(u"/lease/b"_s, u"2"_s, lease));
        QVERIFY(put(u"/lease/free"_s, u"3"_s));

        ActionResult r = act(request(ActionKind::EtcdLeaseList));
        QCOMPARE(r.code, ActionResult::Code::Ok);
        const auto it = std::find_if(r.leases.cbegin(), r.leases.cend(),
                                     [&](const LeaseInfo& l) { return l.id == id; });
        QVERIFY(it != r.leases.cend());
        QCOMPARE(it->keys.size(), 2);

        ActionRequest keys = request(ActionKind::EtcdLeaseKeys);
        keys.lease = id;
        r = act(keys);
        QCOMPARE(r.code, ActionResult::Code::Ok);
        QList<QByteArray> bound = r.leases.front().keys;
        std::sort(bound.begin(), bound.end());
        QCOMPARE(bound, (QList<QByteArray>{"/lease/a", "/lease/b"}));

        ActionRequest keep = request(ActionKind::EtcdLeaseKeepAlive);
        keep.lease = id;
        r = act(keep);
        QCOMPARE(r.code, ActionResult::Code::Ok);
        QVERIFY(r.leases.front().ttl > 50);

        ActionRequest revoke = request(ActionKind::EtcdLeaseRevoke);
        revoke.lease = id;
        r = act(revoke);
        QCOMPARE(r.code, ActionResult::Code::Ok);
        QCOMPARE(r.count, 2);
        const auto state = etcdctlState(*m_etcd, "/lease/");
        QCOMPARE(state->size(), size_t(1));
        QVERIFY(state->contains("/lease/free"));

        // Gone: keep-alive, keys and revoke say so, with etcd's words.
        QCOMPARE(act(keep).code, ActionResult::Code::NotFound);
        QCOMPARE(act(keys).code, ActionResult::Code::NotFound);
        r = act(revoke);
        QCOMPARE(r.code, ActionResult::Code::NotFound);
        QVERIFY2(r.message.contains(u"lease not found"_s), qPrintable(r.message));
    }

    // Every revision of the key still in history, each equal to `etcdctl get --rev`; it stops
    // at the compaction floor and says so.
    void keyHistoryEqualsEtcdctlGetRev() {
        for (int i = 1; i <= 6; ++i)
            QVERIFY(put(u"/hist/k"_s, u"v"_s + QString::number(i)));
        QVERIFY(put(u"/hist/other"_s, u"noise"_s));
        QVERIFY(put(u"/hist/k"_s, u"v7"_s));
        ActionResult r = act(request(ActionKind::EtcdKeyHistory, "/hist/k"));
        QCOMPARE(r.code, ActionResult::Code::Ok);
        QCOMPARE(r.history.size(), size_t(7));
        QVERIFY(!r.historyTruncated);
        for (const KeyRecord& kv : r.history) {
            const auto at = etcdctlState(*m_etcd, "/hist/k", kv.modRevision);
            QVERIFY(at);
            QCOMPARE(at->at("/hist/k"), kv);
        }
        QCOMPARE(r.history.front().value, QByteArray("v7"));
        QCOMPARE(r.history.back().value, QByteArray("v1"));

        // Compact at version 4's revision: versions 4..7 remain.
        const qint64 v4 = r.history[3].modRevision;
        QCOMPARE(r.history[3].value, QByteArray("v4"));
        QVERIFY(m_etcd->etcdctl({u"compact"_s, QString::number(v4)}));
        r = act(request(ActionKind::EtcdKeyHistory, "/hist/k"));
        QCOMPARE(r.code, ActionResult::Code::Ok);
        QCOMPARE(r.history.size(), size_t(4));
        QVERIFY(r.historyTruncated);
        QCOMPARE(r.history.back().value, QByteArray("v4"));
        QVERIFY(!etcdctlState(*m_etcd, "/hist/k", v4 - 1)); // etcdctl cannot go further either
    }

    void keysOutsideThePrefixAreRefused() {
        EtcdActions scoped(testOptions(m_etcd->endpoints(), "/scoped/"));
        ActionRequest r = request(ActionKind::EtcdPut, "/elsewhere/k");
        r.value = "x";
        QCOMPARE(scoped.run(r).code, ActionResult::Code::InvalidRequest);
        QVERIFY(!get("/elsewhere/k"));
    }

    // A hung member: cancel() ends the action at once instead of after its deadline.
    void cancelWhileInFlight() {
        EtcdOptions o = testOptions(m_etcd->endpoints(), QByteArray());
        o.callTimeoutMs = 20'000;
        const QString source = u"etcd://hung"_s;
        m_actions->setExecutor(source, std::make_shared<EtcdActions>(o));
        QVERIFY(m_actions->setWritable(source, true));
        ActionRequest r = request(ActionKind::EtcdPut, "/cancel/k");
        r.source = source;
        r.value = "v";
        m_etcd->suspendMember(0);
        QSignalSpy spy(m_actions.get(), &ActionControl::finished);
        const ActionId id = m_actions->submit(r);
        QVERIFY(!spy.wait(300));
        QVERIFY(m_actions->isInFlight(id));
        QElapsedTimer t;
        t.start();
        m_actions->cancel(id);
        QVERIFY(spy.wait(3000));
        const qint64 ms = t.elapsed();
        m_etcd->resumeMember(0);
        QCOMPARE(spy.first().at(0).value<ActionId>(), id);
        QCOMPARE(spy.first().at(1).value<ActionResult>().code, ActionResult::Code::Canceled);
        QVERIFY2(ms < 2000, qPrintable(QString::number(ms)));
        QVERIFY(!m_actions->isInFlight(id));
        m_actions->removeSource(source);
    }

    // Every write above is one line in the log and two on the Timeline (sent, result).
    void everyActionIsLoggedWithItsResult() {
        QVERIFY(m_log->waitForWritten());
        const auto lines = readLog(m_log->path());
        int conflicts = 0, oks = 0;
        for (const auto& o : lines) {
            QCOMPARE(o.value(u"source"_s).toString().isEmpty(), false);
            QVERIFY(!o.value(u"who"_s).toString().isEmpty());
            QVERIFY(o.value(u"when"_s).toString().endsWith(u'Z'));
            QVERIFY(o.value(u"request"_s).toObject().contains(u"kind"_s));
            const QString code = o.value(u"result"_s).toObject().value(u"code"_s).toString();
            conflicts += code == u"conflict"_s;
            oks += code == u"ok"_s;
        }
        // ok: 2 puts, 1 delete, 1 prefix delete, keep-alive, revoke; conflict: 5;
        // not-found: keep-alive and revoke of the revoked lease; canceled: 1. Reads: none.
        QCOMPARE(oks, 6);
        QCOMPARE(conflicts, 5);
        QCOMPARE(lines.size(), 14);
        int results = 0;
        for (const auto& t : m_timeline)
            results += t.category == u"action"_s && !t.text.startsWith(u"sent"_s);
        QCOMPARE(results, lines.size());
    }
};

QTEST_GUILESS_MAIN(TestActionsEtcd)
#include "tst_actions_etcd.moc"
