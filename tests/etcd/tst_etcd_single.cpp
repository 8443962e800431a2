// One real etcd member: snapshot + watch equal etcdctl, paging past 4 MiB, leases, compaction
// resync, etcd down at start, time travel, and the registration backend.

#include "EtcdProcess.h"
#include "EtcdTestSupport.h"
#include "connectors/etcd/EtcdClient.h"
#include "connectors/etcd/EtcdRegistration.h"
#include "models/etcd/EtcdKeysModel.h"
#include "models/etcd/EtcdTimeTravel.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <future>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;

// A real loopback listener that is not etcd: Http answers whatever comes with an HTTP/1.1 400
// and closes (what a web server says to gRPC's HTTP/2 preface); Silent accepts and says nothing.
class NotEtcdListener : public QTcpServer {
public:
    enum Mode { Http, Silent };
    explicit NotEtcdListener(Mode mode)
        : m_mode(mode) {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = nextPendingConnection()) {
                if (m_mode == Silent)
                    continue; // kept open (parented to the server), never written to
                connect(s, &QTcpSocket::readyRead, s, [s] {
                    s->readAll();
                    s->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                             "Connection: close\r\n\r\n");
                    s->disconnectFromHost();
                });
            }
        });
    }
    QString endpoint() const { return u"127.0.0.1:"_s + QString::number(serverPort()); }

private:
    Mode m_mode;
};

class TestEtcdSingle : public QObject {
    Q_OBJECT
    std::unique_ptr<EtcdProcess> m_etcd;

    bool put(const QString& key, const QString& value, const QString& lease = {}) {
        QStringList args{u"put"_s, key, value};
        if (!lease.isEmpty())
            args.append(u"--lease="_s + lease);
        return m_etcd->etcdctl(args).has_value();
    }

private Q_SLOTS:
    void initTestCase() {
        m_etcd = std::make_unique<EtcdProcess>(1);
        QVERIFY2(m_etcd->start(), qPrintable(m_etcd->lastError()));
    }
    void cleanupTestCase() { m_etcd.reset(); }

    // A member that is up but answers nothing (SIGSTOP): stop() must end the calls in flight
    // instead of waiting out their deadline, so the GUI switching sources never freezes.
    void stopDoesNotWaitForAHungMember() {
        // A leased key, so the aux thread has a connected client before the member hangs.
        auto granted = m_etcd->etcdctl({u"lease"_s, u"grant"_s, u"60"_s});
        QVERIFY(granted);
        QVERIFY(put(u"/hung/a"_s, u"1"_s, QString::fromUtf8(granted->split(' ').value(1))));
        EtcdOptions o = testOptions(m_etcd->endpoints(), "/hung/");
        o.callTimeoutMs = 20'000; // a call in flight would hold stop() this long
        o.clusterPollMs = 0;
        Wired w(o);
        QSignalSpy leases(&w.store, &Store::leasesUpdated);
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(int(w.store.count(RecordKind::Key)), 1, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!leases.isEmpty(), 5000);
        m_etcd->suspendMember(0);
        // A time-travel read now hangs on the member (a Range on the connector's aux thread).
        QSignalSpy answered(w.connector->controls(), &SourceControls::revisionStateReady);
        w.connector->requestRevisionState(1, 0);
        QVERIFY(!answered.wait(300)); // still in flight
        QElapsedTimer stopping;
        stopping.start();
        w.connector->stop();
        const qint64 ms = stopping.elapsed();
        m_etcd->resumeMember(0);
        QVERIFY2(ms < 2'000, qPrintable(u"stop() took %1 ms"_s.arg(ms)));
        // And a later start() works: the canceled group belonged to the last run only.
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 10000);
        w.connector->stop();
    }

    // connect() from a worker thread while this thread serves the listener; its error.
    static std::optional<EtcdError> connectError(const QString& endpoint) {
        EtcdOptions o = testOptions({endpoint}, "/");
        auto done = std::async(std::launch::async, [o, endpoint] {
            EtcdClient c(endpoint, o);
            return c.connect();
        });
        if (!QTest::qWaitFor(
                [&] { return done.wait_for(std::chrono::seconds(0)) == std::future_status::ready; },
                15000))
            return std::nullopt;
        auto r = done.get();
        if (r)
            return EtcdError{EtcdError::Code::Internal, u"connected"_s};
        return r.error();
    }

    // Issue 10 point 5: say what happened, not "connection refused".
    void httpServerIsNotEtcd() {
        NotEtcdListener http(NotEtcdListener::Http);
        QVERIFY(http.listen(QHostAddress::LocalHost));
        const auto e = connectError(http.endpoint());
        QVERIFY(e);
        QCOMPARE(int(e->code), int(EtcdError::Code::NotEtcd));
        QVERIFY2(e->message.contains(u"not an etcd/gRPC server"_s), qPrintable(e->message));
        QVERIFY2(e->message.contains(u"HTTP/1.1 400"_s), qPrintable(e->message));
        QVERIFY2(!e->message.contains(u"refused"_s), qPrintable(e->message));
        // And the connector's health says it too.
        Wired w(testOptions({http.endpoint()}, "/"));
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Down), 10000);
        QVERIFY2(w.healths.last().reason.contains(u"not an etcd/gRPC server"_s),
                 qPrintable(w.healths.last().reason));
    }

    void silentListenerTimesOut() {
        NotEtcdListener silent(NotEtcdListener::Silent);
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        const auto e = connectError(silent.endpoint());
        QVERIFY(e);
        QCOMPARE(int(e->code), int(EtcdError::Code::DeadlineExceeded));
        QVERIFY2(e->message.contains(u"timed out"_s), qPrintable(e->message));
        QVERIFY2(!e->message.contains(u"refused"_s), qPrintable(e->message));
    }

    void closedPortIsRefused() {
        quint16 port = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            port = probe.serverPort();
        } // closed: nothing listens there now
        const auto e = connectError(u"127.0.0.1:"_s + QString::number(port));
        QVERIFY(e);
        QCOMPARE(int(e->code), int(EtcdError::Code::Unavailable));
        QVERIFY2(e->message.contains(u"connection refused"_s), qPrintable(e->message));
    }

    // A user against an etcd without auth: "authentication is not enabled" is final, so the
    // connector says it and stops, instead of "retrying in 0.3 s" forever.
    void permanentErrorIsNotRetried() {
        EtcdOptions o = testOptions(m_etcd->endpoints(), "/perm/");
        o.user = u"root"_s;
        o.password = u"x"_s;
        Wired w(o);
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Down), 10000);
        const QString reason = w.healths.last().reason;
        QVERIFY2(reason.contains(u"authentication is not enabled"_s), qPrintable(reason));
        QVERIFY2(!reason.contains(u"retrying"_s), qPrintable(reason));
        const auto seen = w.healths.size();
        // Several retry periods later: no new attempt was made.
        QSignalSpy more(w.connector.get(), &Connector::eventsReady);
        QVERIFY(!more.wait(4 * o.retryBackoffMs));
        QCOMPARE(w.healths.size(), seen);
    }

    void snapshotAndWatchEqualEtcdctl() {
        for (int i = 0; i < 20; ++i)
            QVERIFY(put(u"/burst/pre/"_s + QString::number(i), u"v"_s + QString::number(i)));
        QVERIFY(put(u"/outside/x"_s, u"not ours"_s));
        Wired w(testOptions(m_etcd->endpoints(), "/burst/"));
        EtcdKeysModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setStore(&w.store);
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 20, 5000);
        // A burst of puts and deletes made by another client.
        for (int i = 0; i < 15; ++i)
            QVERIFY(put(u"/burst/new/"_s + QString::number(i),
                        u"{\"n\":"_s + QString::number(i) + u'}'));
        for (int i = 0; i < 5; ++i)
            QVERIFY(put(u"/burst/pre/"_s + QString::number(i), u"changed"_s));
        QVERIFY(m_etcd->etcdctl({u"del"_s, u"/burst/pre/1"_s}));
        QVERIFY(m_etcd->etcdctl({u"del"_s, u"--prefix"_s, u"/burst/pre/1"_s})); // 10..19
        QVERIFY(put(u"/outside/y"_s, u"still not ours"_s));
        const auto expected = etcdctlState(*m_etcd, "/burst/");
        QVERIFY(expected);
        QCOMPARE(expected->size(), size_t(24)); // 20 - 11 deleted + 15 new
        QTRY_VERIFY_WITH_TIMEOUT(storeState(w.store) == *expected, 10000);
        QCOMPARE(model.rowCount(), 24);
        QVERIFY(w.revisionsMonotonic());
        QCOMPARE(w.store.find(RecordKind::Key, u"/outside/x"_s), nullptr);
        // The model shows the JSON value as JSON and is sorted like etcd.
        const int row = model.rowOf("/burst/new/3");
        QVERIFY(row >= 0);
        QCOMPARE(model.index(row, 0).data(EtcdKeysModel::ValueKindRole).toInt(),
                 int(EtcdValueKind::Json));
        QCOMPARE(model.index(0, 0).data(EtcdKeysModel::KeyBytesRole).toByteArray(),
                 expected->begin()->first);
    }

    void largePrefixIsPaged() {
        EtcdClient client(m_etcd->endpoint(0), testOptions(m_etcd->endpoints(), {}));
        QVERIFY(client.connect());
        const QByteArray big(100 * 1024, 'x');
        for (int i = 0; i < 50; ++i) // 5 MiB: more than the 4 MiB reply cap
            QVERIFY(client.put("/big/" + QByteArray::number(i), big + QByteArray::number(i)));
        EtcdOptions o = testOptions(m_etcd->endpoints(), "/big/");
        o.maxReplyBytes = 4 * 1024 * 1024; // gRPC's default cap, below the prefix's size
        o.pageTargetBytes = 3 * 1024 * 1024;
        Wired w(o);
        // Progress travels as ProgressEvents in the connector's batches (one per page).
        std::vector<ProgressEvent> progress;
        connect(w.connector.get(), &Connector::eventsReady, this,
                [&progress](const EventBatchPtr& batch) {
                    for (const SourceEvent& e : *batch)
                        if (const auto* p = std::get_if<ProgressEvent>(&e))
                            progress.push_back(*p);
                });
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(w.store.count(RecordKind::Key), qsizetype(50), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(!progress.empty() && progress.back().finished, 5000);
        QVERIFY2(progress.size() >= 3, "a 5 MiB prefix must come in more than one page");
        QCOMPARE(progress.back().done, 50);
        QCOMPARE(progress.back().total, 50);
        QVERIFY(!progress.front().finished && progress.front().cancellable);
        QTRY_VERIFY_WITH_TIMEOUT(w.store.progress().finished, 5000); // the store keeps it
        const auto expected = etcdctlState(*m_etcd, "/big/");
        QVERIFY(expected);
        QCOMPARE(storeState(w.store), *expected);
        QVERIFY(client.deleteRange("/big/", prefixRangeEnd("/big/")));
    }

    void leasesCountDownAndVanish() {
        auto granted = m_etcd->etcdctl({u"lease"_s, u"grant"_s, u"4"_s});
        QVERIFY(granted);
        const QString leaseHex = QString::fromUtf8(granted->split(' ').value(1));
        bool ok = false;
        const qint64 leaseId = leaseHex.toLongLong(&ok, 16);
        QVERIFY(ok);
        QVERIFY(put(u"/lease/a"_s, u"1"_s, leaseHex));
        QVERIFY(put(u"/lease/b"_s, u"2"_s, leaseHex));
        QVERIFY(put(u"/lease/forever"_s, u"3"_s));
        Wired w(testOptions(m_etcd->endpoints(), "/lease/"));
        EtcdKeysModel::Options mo;
        mo.countdownIntervalMs = 100;
        mo.expiringSoonSeconds = 2;
        EtcdKeysModel model(mo);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setStore(&w.store);
        QSignalSpy leases(&w.store, &Store::leasesUpdated); // the model follows the store
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 3, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(model.lease(leaseId) != nullptr, 5000);
        // One call per lease, not per key: both keys come back bound to the one lease.
        const LeaseInfo* info = model.lease(leaseId);
        QCOMPARE(info->grantedTtl, 4);
        QCOMPARE(info->keys.size(), 2);
        const int row = model.rowOf("/lease/a");
        const qint64 first = model.index(row, 0).data(EtcdKeysModel::TtlRemainingRole).toLongLong();
        QVERIFY(first >= 0 && first <= 4);
        QCOMPARE(model.index(model.rowOf("/lease/forever"), 0)
                     .data(EtcdKeysModel::TtlRemainingRole)
                     .toLongLong(),
                 -1);
        QTRY_VERIFY_WITH_TIMEOUT(
            model.index(model.rowOf("/lease/a"), 0).data(EtcdKeysModel::ExpiringSoonRole).toBool(),
            6000);
        // The keys vanish with the lease; the unleased one stays.
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, 12000);
        QCOMPARE(model.rowOf("/lease/forever"), 0);
        // Rate limit: never more lease calls than ticks allow (1 lease, refresh every 500 ms).
        qsizetype calls = 0;
        for (const auto& args : leases)
            calls += args.at(0).value<QList<LeaseInfo>>().size();
        QVERIFY2(calls < 40, qPrintable(QString::number(calls)));
    }

    void compactionWhileDisconnectedResyncs() {
        for (int i = 0; i < 10; ++i)
            QVERIFY(put(u"/compact/"_s + QString::number(i), u"a"_s));
        Wired w(testOptions(m_etcd->endpoints(), "/compact/"));
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(w.store.count(RecordKind::Key), qsizetype(10), 5000);
        const qint64 before = w.connector->appliedRevision();
        w.connector->stop(); // disconnected
        for (int i = 0; i < 5; ++i)
            QVERIFY(put(u"/compact/"_s + QString::number(i), u"b"_s));
        QVERIFY(m_etcd->etcdctl({u"del"_s, u"/compact/9"_s}));
        QVERIFY(put(u"/compact/new"_s, u"c"_s));
        const qint64 now = etcdRevision(*m_etcd);
        QVERIFY(now > before + 1);
        QVERIFY(m_etcd->etcdctl({u"compact"_s, QString::number(now)}));
        w.healths.clear();
        w.connector->start(); // resumes at before + 1: compacted
        QSignalSpy timeline(&w.store, &Store::timelineAppended);
        const auto expected = etcdctlState(*m_etcd, "/compact/");
        QVERIFY(expected);
        QTRY_VERIFY_WITH_TIMEOUT(storeState(w.store) == *expected, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(
            std::any_of(w.timeline.begin(), w.timeline.end(),
                        [](const TimelineEvent& e) { return e.category == u"resync"_s; }),
            5000);
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 5000);
        QVERIFY(w.connector->appliedRevision() >= now);
    }

    void downAtStartThenLive() {
        EtcdProcess later(1);
        Wired w(testOptions(later.endpoints(), "/late/"));
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Down), 10000);
        QVERIFY(!w.healths.last().reason.isEmpty());
        QVERIFY(w.healths.last().reason.contains(later.endpoint(0)));
        QTRY_COMPARE_WITH_TIMEOUT(int(w.store.health().state), int(HealthState::Down), 2000);
        QVERIFY2(later.start(), qPrintable(later.lastError()));
        QVERIFY(later.etcdctl({u"put"_s, u"/late/k"_s, u"v"_s}));
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 15000);
        QTRY_COMPARE_WITH_TIMEOUT(w.store.count(RecordKind::Key), qsizetype(1), 5000);
    }

    // "Retry now" ends a backoff far longer than the test: a member that comes up meanwhile
    // is used at once.
    void retryNowEndsTheBackoff() {
        EtcdProcess later(1);
        EtcdOptions o = testOptions(later.endpoints(), "/retry/");
        o.retryBackoffMs = 60'000;
        Wired w(o);
        QVERIFY(w.connector->controls()->canRetryNow());
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Down), 10000);
        QVERIFY(w.healths.last().reason.contains(u"retrying in 60 s"_s));
        QVERIFY2(later.start(), qPrintable(later.lastError()));
        QCOMPARE(int(w.lastHealth()), int(HealthState::Down)); // waiting out its minute
        QElapsedTimer t;
        t.start();
        w.connector->controls()->retryNow();
        QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Live), 10000);
        QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
    }

    void timeTravelEqualsEtcdctlRev() {
        auto rev = [&](const QStringList& args) -> qint64 {
            auto out = m_etcd->etcdctl(args + QStringList{u"-w"_s, u"json"_s});
            if (!out)
                return -1;
            return static_cast<qint64>(QJsonDocument::fromJson(*out)
                                           .object()
                                           .value(u"header")
                                           .toObject()
                                           .value(u"revision")
                                           .toDouble());
        };
        const qint64 r1 = rev({u"put"_s, u"/tt/a"_s, u"1"_s});
        const qint64 r2 = rev({u"put"_s, u"/tt/b"_s, u"2"_s});
        rev({u"put"_s, u"/tt/a"_s, u"3"_s});
        rev({u"del"_s, u"/tt/b"_s});
        const qint64 r5 = rev({u"put"_s, u"/tt/c"_s, u"{\"x\":1}"_s});
        QVERIFY(r1 > 0 && r2 > r1 && r5 > r2);

        Wired w(testOptions(m_etcd->endpoints(), "/tt/"));
        ControlBroker broker;
        broker.setControls(w.connector->controls());
        EtcdTimeTravel travel(&broker);
        QAbstractItemModelTester t1(travel.stateModel(),
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t2(travel.diffModel(),
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
        w.connector->start();
        for (qint64 r : {r1, r2, r5}) {
            QSignalSpy shown(&travel, &EtcdTimeTravel::stateShown);
            travel.viewAt(r);
            QVERIFY(shown.wait(10000));
            const auto expected = etcdctlState(*m_etcd, "/tt/", r);
            QVERIFY(expected);
            KeyState got;
            for (int i = 0; i < travel.stateModel()->rowCount(); ++i) {
                const KeyRecord* kv = travel.stateModel()->recordAt(i);
                got.emplace(kv->key, *kv);
            }
            QCOMPARE(got, *expected);
        }
        QSignalSpy diffShown(&travel, &EtcdTimeTravel::diffShown);
        travel.diff(r2, r5);
        QVERIFY(diffShown.wait(10000));
        const auto& changes = travel.diffModel()->changes();
        QCOMPARE(changes.size(), size_t(3));
        QCOMPARE(changes[0].key, QByteArray("/tt/a"));
        QCOMPARE(int(changes[0].kind), int(EtcdKeyChange::Kind::Changed));
        QCOMPARE(int(changes[1].kind), int(EtcdKeyChange::Kind::Removed));
        QCOMPARE(int(changes[2].kind), int(EtcdKeyChange::Kind::Added));
        QVERIFY(travel.currentRevision() >= r5);
        // A compacted revision is refused with a reason, and the floor moves.
        QVERIFY(m_etcd->etcdctl({u"compact"_s, QString::number(r5)}));
        QSignalSpy failed(&travel, &EtcdTimeTravel::failed);
        travel.viewAt(r1);
        QVERIFY(failed.wait(10000));
        QTRY_COMPARE_WITH_TIMEOUT(travel.compactFloor(), r5, 5000);
    }

    void registrationKeepsKeyAliveAndRevokes() {
        EtcdRegistrationOptions o;
        o.connection = testOptions(m_etcd->endpoints(), {});
        o.key = "/services/demo/i1";
        o.value = "{\"addrs\":[\"http://127.0.0.1:1\"]}";
        o.ttlSeconds = 2;
        EtcdRegistration reg(o);
        QVERIFY(reg.start());
        QVERIFY(reg.leaseId() != 0);
        // Past several TTLs the key is still there: keep-alives at ttl/3 work.
        QTRY_VERIFY_WITH_TIMEOUT(reg.keepAliveCount() >= 7, 6000);
        auto state = etcdctlState(*m_etcd, "/services/demo/");
        QVERIFY(state);
        QCOMPARE(state->size(), size_t(1));
        QCOMPARE(state->begin()->second.lease, reg.leaseId());
        QVERIFY(reg.stop());
        state = etcdctlState(*m_etcd, "/services/demo/");
        QVERIFY(state);
        QVERIFY(state->empty());
    }

    void registrationStepsForTheRegistratorLoop() {
        EtcdRegistrationOptions o;
        o.connection = testOptions(QStringList{u"127.0.0.1:1"_s} + m_etcd->endpoints(), {});
        o.key = "/services/demo/steps";
        o.value = "v";
        o.ttlSeconds = 3;
        EtcdRegistration reg(o);
        QCOMPARE(reg.renewIntervalMs(), 1000);
        QCOMPARE(int(reg.renewStep(2000).error().code), int(EtcdError::Code::LeaseNotFound));
        QVERIFY(reg.registerStep(2000)); // the dead first endpoint is skipped
        QVERIFY(reg.renewStep(2000));
        auto state = etcdctlState(*m_etcd, "/services/demo/steps");
        QVERIFY(state && state->size() == 1);
        QVERIFY(m_etcd->etcdctl({u"lease"_s, u"revoke"_s, QString::number(reg.leaseId(), 16)}));
        QCOMPARE(int(reg.renewStep(2000).error().code), int(EtcdError::Code::LeaseNotFound));
        QVERIFY(reg.registerStep(2000));
        QVERIFY(reg.cancelStep(2000));
        state = etcdctlState(*m_etcd, "/services/demo/steps");
        QVERIFY(state && state->empty());
    }

    void serviceLayoutMakesInstances() {
        QVERIFY(put(
            u"/svc/billing/host-1"_s,
            u"{\"addrs\":[\"http://10.0.0.1:80\"],\"zone\":\"z1\",\"env\":\"prod\",\"version\":\"1.2\"}"_s));
        QVERIFY(put(u"/svc/billing/host-2"_s, u"plain"_s));
        auto opts = testOptions(m_etcd->endpoints(), "/svc/");
        opts.servicePrefix = "/svc/";
        Wired w(opts);
        w.connector->start();
        QTRY_COMPARE_WITH_TIMEOUT(w.store.count(RecordKind::Instance), qsizetype(2), 10000);
        const Record* r = w.store.find(RecordKind::Instance, u"billing/z1/prod/host-1"_s);
        QVERIFY(r);
        const auto& inst = std::get<InstanceRecord>(*r);
        QCOMPARE(inst.source, u"etcd"_s);
        QCOMPARE(inst.addrs, QStringList{u"http://10.0.0.1:80"_s});
        QVERIFY(m_etcd->etcdctl({u"del"_s, u"/svc/billing/host-1"_s}));
        QTRY_COMPARE_WITH_TIMEOUT(w.store.count(RecordKind::Instance), qsizetype(1), 5000);
    }
};

QTEST_GUILESS_MAIN(TestEtcdSingle)
#include "tst_etcd_single.moc"
