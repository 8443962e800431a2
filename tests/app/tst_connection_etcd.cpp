// A saved profile with user/password reaches a real etcd with auth enabled: the profile is
// saved (password sealed), loaded back, attached through the Session, and the store fills;
// the same profile with a wrong password leaves the source down.

#include "app/regscope/ConnectorFactory.h"
#include "app/regscope/ProfileStore.h"
#include "app/regscope/Session.h"
#include "models/Store.h"
#include "tests/etcd/EtcdProcess.h"

#include <QCoreApplication>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;

class TestConnectionEtcd : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { registerConnectorMetaTypes(); }

    void savedProfileAuthenticates() {
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        QVERIFY(etcd.etcdctl({u"user"_s, u"add"_s, u"root:s3cret-pw"_s}));
        QVERIFY(etcd.etcdctl({u"auth"_s, u"enable"_s}));
        etcd.setEtcdctlUser(u"root:s3cret-pw"_s);
        QVERIFY(etcd.etcdctl({u"put"_s, u"/auth/k"_s, u"v"_s}));

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const ProfileStore profiles{.secretKeyFile = dir.filePath(u"etcd-secret.key"_s)};
        ConnectionProfile saved;
        saved.name = u"secured"_s;
        saved.url = etcd.etcdUrl(u"/auth/"_s);
        saved.user = u"root"_s;
        saved.password = u"s3cret-pw"_s;
        ConnectionProfile loaded;
        {
            QSettings settings(dir.filePath(u"regscope.conf"_s), QSettings::IniFormat);
            QVERIFY(profiles.save(settings, saved).has_value());
        }
        {
            QSettings settings(dir.filePath(u"regscope.conf"_s), QSettings::IniFormat);
            const ProfileStore::Loaded all = profiles.load(settings);
            QVERIFY(all.problems.isEmpty());
            QCOMPARE(all.profiles.size(), 1);
            loaded = all.profiles.at(0);
        }
        QCOMPARE(loaded.password, u"s3cret-pw"_s);

        Store store;
        Session session(&store);
        QVERIFY(session.attach(loaded));
        QTRY_COMPARE_WITH_TIMEOUT(store.count(RecordKind::Key), qsizetype(1), 15000);
        QVERIFY(etcd.etcdctl({u"put"_s, u"/auth/k2"_s, u"v"_s})); // the watch carries the token
        QTRY_COMPARE_WITH_TIMEOUT(store.count(RecordKind::Key), qsizetype(2), 15000);
        QCOMPARE(int(store.health().state), int(HealthState::Live));

        ConnectionProfile wrong = loaded;
        wrong.password = u"not-it"_s;
        QVERIFY(session.attach(wrong));
        QTRY_COMPARE_WITH_TIMEOUT(int(store.health().state), int(HealthState::Down), 15000);
        QCOMPARE(store.count(RecordKind::Key), qsizetype(0));
        session.detach();
    }
};

QTEST_GUILESS_MAIN(TestConnectionEtcd)
#include "tst_connection_etcd.moc"
