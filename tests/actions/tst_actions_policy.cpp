// The safety model with the real executors behind it: a new source is read-only; while it is,
// every write is refused before anything is sent (etcd and discoveryd unchanged) and logged as
// refused; the toggle lives in memory only (a new policy — a restart — is read-only again, and
// nothing is written to settings); a pinned source (the in-process registry) cannot be made
// writable and says why; --read-only (forceReadOnly) beats every toggle. Reads still work.

#include "../discovery/DiscoveryTestSupport.h"
#include "../etcd/EtcdProcess.h"
#include "../etcd/EtcdTestSupport.h"
#include "ActionTestSupport.h"
#include "connectors/discovery/DiscoveryActions.h"
#include "connectors/etcd/EtcdActions.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;
using namespace regscope::testing;

namespace {

const QList<ActionKind> kEtcdWrites{ActionKind::EtcdPut, ActionKind::EtcdDelete,
                                    ActionKind::EtcdDeletePrefix, ActionKind::EtcdLeaseRevoke,
                                    ActionKind::EtcdLeaseKeepAlive};
const QList<ActionKind> kDiscoveryWrites{ActionKind::DiscoveryCancel, ActionKind::DiscoverySet,
                                         ActionKind::DiscoveryRegister};

} // namespace

class TestActionsPolicy : public QObject {
    Q_OBJECT
    std::unique_ptr<EtcdProcess> m_etcd;
    DiscoverydProcess m_discovery;
    QNetworkAccessManager m_nam;
    QTemporaryDir m_dir;
    QString m_etcdSource, m_discoverySource;
    qint64 m_lease = 0;

    struct Rig {
        ActionPolicy policy;
        ActionLog log;
        ActionDispatcher actions{&policy, &log};
        explicit Rig(const QString& logPath)
            : log(ActionLog::Options{logPath}) {}
    };
    std::unique_ptr<Rig> rig() {
        auto r = std::make_unique<Rig>(m_dir.filePath(u"actions.jsonl"_s));
        r->actions.setExecutor(m_etcdSource, std::make_shared<EtcdActions>(
                                                 testOptions(m_etcd->endpoints(), QByteArray())));
        r->actions.setExecutor(m_discoverySource,
                               std::make_shared<DiscoveryActions>(m_discovery.url()));
        return r;
    }
    // A request of each kind that would succeed if it were sent.
    ActionRequest validRequest(ActionKind kind) {
        ActionRequest r;
        r.kind = kind;
        if (kEtcdWrites.contains(kind) || !isWrite(kind)) {
            r.source = m_etcdSource;
            r.key = "/ro/a";
            r.value = "changed";
            r.expectedModRevision = etcdctlState(*m_etcd, "/ro/a")->at("/ro/a").modRevision;
            r.seenRevision = r.expectedModRevision;
            r.expectedCount = 1;
            r.lease = m_lease;
            if (kind == ActionKind::EtcdDeletePrefix)
                r.key = "/ro/";
        } else {
            r.source = m_discoverySource;
            r.instances = {InstanceRef{u"z1"_s, u"prod"_s, u"ro"_s, u"h1"_s}};
            r.status = 2;
            r.addrs = {u"http://127.0.0.1:1"_s};
            if (kind == ActionKind::DiscoveryRegister)
                r.instances.front().hostname = u"h2"_s;
        }
        return r;
    }
    QByteArray discoveryState() {
        return httpGet(m_nam, m_discovery.url(u"/discovery/fetch/all"_s)).raw;
    }

private Q_SLOTS:
    void initTestCase() {
        QCoreApplication::setOrganizationName(u"regscope-test"_s);
        QCoreApplication::setApplicationName(u"tst_actions_policy"_s);
        QStandardPaths::setTestModeEnabled(true);
        m_etcd = std::make_unique<EtcdProcess>(1);
        QVERIFY2(m_etcd->start(), qPrintable(m_etcd->lastError()));
        QVERIFY(m_discovery.start());
        m_etcdSource = m_etcd->etcdUrl(u"/"_s);
        m_discoverySource = m_discovery.url().toString();
        auto granted = m_etcd->etcdctl({u"lease"_s, u"grant"_s, u"600"_s});
        QVERIFY(granted);
        const QString lease = QString::fromUtf8(granted->split(' ').value(1));
        m_lease = lease.toLongLong(nullptr, 16);
        QVERIFY(m_etcd->etcdctl({u"put"_s, u"/ro/a"_s, u"original"_s, u"--lease="_s + lease}));
        QUrlQuery f;
        for (const auto& [k, v] : {std::pair{u"zone"_s, u"z1"_s},
                                   {u"env"_s, u"prod"_s},
                                   {u"appid"_s, u"ro"_s},
                                   {u"hostname"_s, u"h1"_s},
                                   {u"status"_s, u"1"_s},
                                   {u"addrs"_s, u"http://127.0.0.1:2"_s}})
            f.addQueryItem(k, v);
        QCOMPARE(httpPost(m_nam, m_discovery.url(u"/discovery/register"_s), f).code, 0);
    }
    void cleanupTestCase() { m_etcd.reset(); }

    void readOnlyRefusesEveryWrite() {
        auto r = rig();
        const auto etcdBefore = etcdctlState(*m_etcd, "/ro/");
        const QByteArray discoveryBefore = discoveryState();
        const QList<ActionKind> writes = kEtcdWrites + kDiscoveryWrites;
        for (const ActionKind kind : writes) {
            const ActionRequest req = validRequest(kind);
            QVERIFY(!r->actions.isWritable(req.source));
            const auto result = runAction(r->actions, req);
            QVERIFY(result);
            QCOMPARE(result->code, ActionResult::Code::ReadOnly);
            QVERIFY2(result->message.contains(u"read-only"_s), qPrintable(result->message));
        }
        QCOMPARE(etcdctlState(*m_etcd, "/ro/"), etcdBefore);
        QCOMPARE(discoveryState(), discoveryBefore);
        // Each refusal is an action on record.
        QVERIFY(r->log.waitForWritten());
        const auto lines = readLog(r->log.path());
        QCOMPARE(lines.size(), writes.size());
        for (const auto& o : lines)
            QCOMPARE(o.value(u"result"_s).toObject().value(u"code"_s).toString(), u"read-only"_s);
        // Reads change nothing and are allowed.
        const auto history = runAction(r->actions, validRequest(ActionKind::EtcdKeyHistory));
        QVERIFY(history);
        QCOMPARE(history->code, ActionResult::Code::Ok);
    }

    void toggleAllowsWritesAndIsNotRemembered() {
        {
            auto r = rig();
            QSignalSpy changed(&r->actions, &ActionControl::writableChanged);
            QVERIFY(r->actions.setWritable(m_etcdSource, true));
            QCOMPARE(changed.size(), 1);
            QVERIFY(r->actions.isWritable(m_etcdSource));
            QVERIFY(!r->actions.isWritable(m_discoverySource)); // per source
            ActionRequest put = validRequest(ActionKind::EtcdPut);
            put.lease = 0;
            const auto result = runAction(r->actions, put);
            QVERIFY(result);
            QCOMPARE(result->code, ActionResult::Code::Ok);
            QCOMPARE(etcdctlState(*m_etcd, "/ro/a")->at("/ro/a").value, QByteArray("changed"));
        }
        // A restart: a new policy knows nothing of the toggle, and nothing was saved.
        auto again = rig();
        QVERIFY(!again->actions.isWritable(m_etcdSource));
        QVERIFY(!again->actions.readOnlyReason(m_etcdSource).isEmpty());
        QSettings settings;
        QVERIFY2(settings.allKeys().isEmpty(), qPrintable(settings.allKeys().join(u' ')));
        // Turning it off again refuses at once.
        QVERIFY(again->actions.setWritable(m_etcdSource, true));
        QVERIFY(again->actions.setWritable(m_etcdSource, false));
        const auto result = runAction(again->actions, validRequest(ActionKind::EtcdDelete));
        QCOMPARE(result->code, ActionResult::Code::ReadOnly);
        QVERIFY(etcdctlState(*m_etcd, "/ro/a")->contains("/ro/a"));
    }

    void pinnedSourceStaysReadOnlyAndSaysWhy() {
        ActionPolicy policy;
        const QString demo = u"demo"_s;
        policy.pinReadOnly(demo, u"the in-process registry is read-only on purpose"_s);
        QVERIFY(!policy.canAllowWrites(demo));
        QVERIFY(!policy.setWritable(demo, true));
        QVERIFY(!policy.isWritable(demo));
        QCOMPARE(policy.readOnlyReason(demo), u"the in-process registry is read-only on purpose"_s);
        // And a source without an executor (nothing can act on it) is Unsupported.
        ActionDispatcher d(&policy, nullptr);
        QVERIFY(policy.setWritable(u"etcd://nowhere"_s, true));
        ActionRequest r = validRequest(ActionKind::EtcdPut);
        r.source = u"etcd://nowhere"_s;
        QCOMPARE(runAction(d, r)->code, ActionResult::Code::Unsupported);
    }

    // The log is bounded (one old generation kept) and says when it cannot write.
    void actionLogRotatesAndReportsFailures() {
        const QString path = m_dir.filePath(u"small.jsonl"_s);
        ActionLog small(ActionLog::Options{path, 600});
        ActionRequest r = validRequest(ActionKind::EtcdPut);
        const ActionResult refused = ActionResult::failure(ActionResult::Code::ReadOnly, u"no"_s);
        for (int i = 0; i < 10; ++i)
            small.append(ActionId(i + 1), r, refused);
        QVERIFY(small.waitForWritten());
        QVERIFY(small.lastError().isEmpty());
        QVERIFY(QFileInfo(path).size() <= 600);
        QVERIFY(QFileInfo::exists(path + u".1"_s));
        const auto current = readLog(path);
        QVERIFY(!current.isEmpty() && !readLog(path + u".1"_s).isEmpty());
        QCOMPARE(current.last().value(u"id"_s).toInt(),
                 10); // the newest line is in the current file
        QVERIFY(QFileInfo(path + u".1"_s).size() <= 600);

        // A path under a regular file cannot be written: the error says so, nothing crashes.
        QFile blocker(m_dir.filePath(u"blocker"_s));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        ActionLog broken(ActionLog::Options{blocker.fileName() + u"/actions.jsonl"_s});
        broken.append(1, r, refused);
        QVERIFY(broken.waitForWritten());
        QVERIFY2(broken.lastError().contains(u"cannot open the action log"_s),
                 qPrintable(broken.lastError()));
    }

    // Last: --read-only is for the whole process and cannot be undone.
    void forcedReadOnlyBeatsTheToggle() {
        auto r = rig();
        QVERIFY(r->actions.setWritable(m_etcdSource, true));
        QSignalSpy changed(&r->policy, &ActionPolicy::writableChanged);
        ActionPolicy::forceReadOnly();
        QVERIFY(ActionPolicy::readOnlyForced());
        QVERIFY(!r->actions.isWritable(m_etcdSource));
        QVERIFY(!r->actions.canAllowWrites(m_etcdSource));
        QVERIFY(!r->actions.setWritable(m_discoverySource, true));
        QVERIFY(r->actions.readOnlyReason(m_etcdSource).contains(u"--read-only"_s));
        const auto before = etcdctlState(*m_etcd, "/ro/");
        for (const ActionKind kind : kEtcdWrites)
            QCOMPARE(runAction(r->actions, validRequest(kind))->code, ActionResult::Code::ReadOnly);
        QCOMPARE(etcdctlState(*m_etcd, "/ro/"), before);
    }
};

QTEST_GUILESS_MAIN(TestActionsPolicy)
#include "tst_actions_policy.moc"
