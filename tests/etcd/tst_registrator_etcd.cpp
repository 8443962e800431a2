// regscope-registrator --etcd end to end: the real binary keeps a key on a lease in a real
// etcd while its service runs, revokes it when the service exits or on SIGTERM, and a
// registrator killed outright leaves a key that vanishes when its lease expires.

#include "EtcdProcess.h"
#include "EtcdTestSupport.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;

class TestRegistratorEtcd : public QObject {
    Q_OBJECT
    std::unique_ptr<EtcdProcess> m_etcd;

    std::unique_ptr<QProcess> startRegistrator(const QString& key, const QStringList& command,
                                               int ttl = 3) {
        auto p = std::make_unique<QProcess>();
        p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QStringList args{
            u"--etcd"_s,  m_etcd->endpoints().join(u','), u"--key"_s, key,
            u"--value"_s, u"http://127.0.0.1:9000"_s,     u"--ttl"_s, QString::number(ttl),
            u"--"_s};
        args += command;
        p->start(QStringLiteral(REGSCOPE_REGISTRATOR), args);
        return p;
    }
    std::optional<KeyRecord> key(const QByteArray& k) {
        const auto state = etcdctlState(*m_etcd, k);
        if (!state || !state->contains(k))
            return std::nullopt;
        return state->at(k);
    }

private Q_SLOTS:
    void initTestCase() {
        m_etcd = std::make_unique<EtcdProcess>(1);
        QVERIFY2(m_etcd->start(), qPrintable(m_etcd->lastError()));
    }
    void cleanupTestCase() { m_etcd.reset(); }

    void keyLivesOnALeaseAndGoesOnSigterm() {
        const QByteArray k = "/services/payments/node-1";
        auto reg = startRegistrator(QString::fromUtf8(k), {u"sleep"_s, u"600"_s});
        QTRY_VERIFY_WITH_TIMEOUT(key(k).has_value(), 10'000);
        QCOMPARE(key(k)->value, QByteArray("http://127.0.0.1:9000"));
        QVERIFY(key(k)->lease != 0);
        // Kept alive past several TTLs (3 s lease, renewed every second).
        const qint64 lease = key(k)->lease;
        // A lease outliving its TTL can only be shown by letting the TTL pass: watch the key
        // throughout 4 s (more than the 3 s TTL), checking it every 250 ms.
        QElapsedTimer held;
        held.start();
        bool kept = true;
        (void)QTest::qWaitFor(
            [&] {
                const auto now = key(k);
                kept = now.has_value() && now->lease == lease;
                return !kept || held.elapsed() >= 4'000; // lost, or held past the TTL
            },
            10'000);
        QVERIFY2(kept, "the key or its lease went while the registrator renewed it");
        QVERIFY(held.elapsed() >= 4'000);
        ::kill(pid_t(reg->processId()), SIGTERM);
        QVERIFY(reg->waitForFinished(10'000));
        QVERIFY(!key(k).has_value()); // revoked at once, not left to expire
    }

    void serviceExitRevokesAndPassesItsStatus() {
        const QByteArray k = "/services/batch/job-1";
        auto reg = startRegistrator(QString::fromUtf8(k), {u"sh"_s, u"-c"_s, u"exit 7"_s});
        QVERIFY(reg->waitForFinished(15'000));
        QCOMPARE(reg->exitCode(), 7);
        QVERIFY(!key(k).has_value());
    }

    void killedRegistratorsKeyExpiresWithItsLease() {
        const QByteArray k = "/services/payments/node-2";
        auto reg = startRegistrator(QString::fromUtf8(k), {u"sleep"_s, u"600"_s}, 2);
        QTRY_VERIFY_WITH_TIMEOUT(key(k).has_value(), 10'000);
        reg->kill(); // SIGKILL: nobody revokes; the lease runs out
        QVERIFY(reg->waitForFinished(5'000));
        QTRY_VERIFY_WITH_TIMEOUT(!key(k).has_value(), 10'000);
    }

    void badArgumentsAreRefused() {
        QProcess p;
        p.start(QStringLiteral(REGSCOPE_REGISTRATOR), {u"--etcd"_s, m_etcd->endpoints().join(u','),
                                                       u"--ttl"_s, u"3"_s, u"--"_s, u"true"_s});
        QVERIFY(p.waitForFinished(5'000));
        QCOMPARE(p.exitCode(), 2); // no --key
        p.start(QStringLiteral(REGSCOPE_REGISTRATOR),
                {u"--etcd"_s, m_etcd->endpoints().join(u','), u"--key"_s, u"/k"_s, u"--ttl"_s,
                 u"1"_s, u"--"_s, u"true"_s});
        QVERIFY(p.waitForFinished(5'000));
        QCOMPARE(p.exitCode(), 2); // TTL below 2 s
    }
};

QTEST_GUILESS_MAIN(TestRegistratorEtcd)
#include "tst_registrator_etcd.moc"
