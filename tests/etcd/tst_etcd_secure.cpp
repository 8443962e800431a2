// TLS (CA, client certificate, server name) and user/password auth against real etcd.

#include "EtcdProcess.h"
#include "EtcdTestSupport.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;

namespace {

bool openssl(const QStringList& args, const QString& dir) {
    QProcess p;
    p.setWorkingDirectory(dir);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(u"openssl"_s, args);
    return p.waitForFinished(20000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

// A throwaway CA, a server certificate for etcd.test and 127.0.0.1, a client certificate.
bool makeCertificates(const QString& dir) {
    QFile ext(dir + u"/server.ext"_s);
    QFile cext(dir + u"/client.ext"_s);
    if (!ext.open(QIODevice::WriteOnly) || !cext.open(QIODevice::WriteOnly))
        return false;
    ext.write(
        "subjectAltName=DNS:etcd.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
    cext.write("extendedKeyUsage=clientAuth\n");
    ext.close();
    cext.close();
    return openssl({u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s,
                    u"ca.key"_s, u"-out"_s, u"ca.pem"_s, u"-days"_s, u"1"_s, u"-subj"_s,
                    u"/CN=regscope-test-ca"_s},
                   dir) &&
           openssl({u"req"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s,
                    u"server.key"_s, u"-out"_s, u"server.csr"_s, u"-subj"_s, u"/CN=etcd.test"_s},
                   dir) &&
           openssl({u"x509"_s, u"-req"_s, u"-in"_s, u"server.csr"_s, u"-CA"_s, u"ca.pem"_s,
                    u"-CAkey"_s, u"ca.key"_s, u"-CAcreateserial"_s, u"-out"_s, u"server.pem"_s,
                    u"-days"_s, u"1"_s, u"-extfile"_s, u"server.ext"_s},
                   dir) &&
           openssl({u"req"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s,
                    u"client.key"_s, u"-out"_s, u"client.csr"_s, u"-subj"_s, u"/CN=client"_s},
                   dir) &&
           openssl({u"x509"_s, u"-req"_s, u"-in"_s, u"client.csr"_s, u"-CA"_s, u"ca.pem"_s,
                    u"-CAkey"_s, u"ca.key"_s, u"-CAcreateserial"_s, u"-out"_s, u"client.pem"_s,
                    u"-days"_s, u"1"_s, u"-extfile"_s, u"client.ext"_s},
                   dir);
}

} // namespace

class TestEtcdSecure : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tlsWithClientCertificateAndServerName() {
        QTemporaryDir dir;
        QVERIFY(makeCertificates(dir.path()));
        EtcdProcess etcd(1);
        EtcdProcess::Tls tls;
        tls.certFile = dir.filePath(u"server.pem"_s);
        tls.keyFile = dir.filePath(u"server.key"_s);
        tls.caFile = dir.filePath(u"ca.pem"_s);
        tls.clientCertFile = dir.filePath(u"client.pem"_s);
        tls.clientKeyFile = dir.filePath(u"client.key"_s);
        tls.requireClientCert = true;
        etcd.setTls(tls);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        QVERIFY(etcd.etcdctl({u"put"_s, u"/tls/k"_s, u"v"_s}));

        EtcdOptions o = testOptions(etcd.endpoints(), "/tls/");
        o.clusterPollMs = 0; // /metrics is not scraped over https
        o.tls.enabled = true;
        o.tls.caFile = tls.caFile;
        o.tls.clientCertFile = tls.clientCertFile;
        o.tls.clientKeyFile = tls.clientKeyFile;
        o.tls.serverName = u"etcd.test"_s;
        {
            Wired w(o);
            w.connector->start();
            QTRY_COMPARE_WITH_TIMEOUT(w.store.count(RecordKind::Key), qsizetype(1), 10000);
            QCOMPARE(int(w.lastHealth()), int(HealthState::Live));
        }
        {
            EtcdOptions wrongName = o;
            wrongName.tls.serverName = u"not-etcd.test"_s;
            Wired w(wrongName);
            w.connector->start();
            QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Down), 10000);
            QCOMPARE(w.store.count(RecordKind::Key), qsizetype(0));
        }
        {
            EtcdOptions noClientCert = o;
            noClientCert.tls.clientCertFile.clear();
            noClientCert.tls.clientKeyFile.clear();
            Wired w(noClientCert);
            w.connector->start();
            QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Down), 10000);
            QCOMPARE(w.store.count(RecordKind::Key), qsizetype(0));
        }
    }

    void userPasswordAuth() {
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        QVERIFY(etcd.etcdctl({u"user"_s, u"add"_s, u"root:s3cret"_s}));
        QVERIFY(etcd.etcdctl({u"auth"_s, u"enable"_s}));
        etcd.setEtcdctlUser(u"root:s3cret"_s);
        QVERIFY(etcd.etcdctl({u"put"_s, u"/auth/k"_s, u"v"_s}));
        EtcdOptions o = testOptions(etcd.endpoints(), "/auth/");
        o.user = u"root"_s;
        o.password = u"s3cret"_s;
        {
            Wired w(o);
            w.connector->start();
            QTRY_COMPARE_WITH_TIMEOUT(w.store.count(RecordKind::Key), qsizetype(1), 10000);
            QVERIFY(etcd.etcdctl({u"put"_s, u"/auth/k2"_s, u"v"_s})); // the watch carries the token
            QTRY_COMPARE_WITH_TIMEOUT(w.store.count(RecordKind::Key), qsizetype(2), 10000);
        }
        {
            EtcdOptions bad = o;
            bad.password = u"wrong"_s;
            Wired w(bad);
            w.connector->start();
            QTRY_COMPARE_WITH_TIMEOUT(int(w.lastHealth()), int(HealthState::Down), 10000);
            QCOMPARE(w.store.count(RecordKind::Key), qsizetype(0));
        }
    }
};

QTEST_GUILESS_MAIN(TestEtcdSecure)
#include "tst_etcd_secure.moc"
