// Snapshots of a real regscope-discoveryd: the golden-file use. A snapshot compared with the
// live server is equal while only renews happen (their stamps are volatile), and names what
// a registration, a cancel and a status change did; the snapshot opened as file:// dumps the
// same instances, nanosecond stamps and all.

#include "tests/discovery/DiscoveryTestSupport.h"
#include "tests/support/RunRegscope.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>
#include <QUrlQuery>

using namespace Qt::StringLiterals;
using namespace regscope::testing;
using regscope::test::RegscopeRun;
using regscope::test::runRegscope;

namespace {

QUrlQuery instanceForm(const QString& appid, const QString& host) {
    QUrlQuery form;
    form.addQueryItem(u"zone"_s, u"sh001"_s);
    form.addQueryItem(u"env"_s, u"prod"_s);
    form.addQueryItem(u"appid"_s, appid);
    form.addQueryItem(u"hostname"_s, host);
    return form;
}

int post(QNetworkAccessManager& nam, const DiscoverydProcess& server, const QString& path,
         QUrlQuery form) {
    return httpPost(nam, server.url(path), form).code;
}

QJsonArray instancesOf(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object().value(u"instances"_s).toArray();
}

} // namespace

class TestSnapshotDiscovery : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void goldenFileAgainstTheLiveServer() {
        DiscoverydProcess server;
        QVERIFY(server.start());
        QNetworkAccessManager nam;
        for (const QString& host : {u"node-1"_s, u"node-2"_s}) {
            QUrlQuery form = instanceForm(u"payments.api"_s, host);
            form.addQueryItem(u"status"_s, u"1"_s);
            form.addQueryItem(u"addrs"_s, u"http://127.0.0.1:8000"_s);
            QCOMPARE(post(nam, server, u"/discovery/register"_s, form), 0);
        }
        QTemporaryDir dir;
        const QString golden = dir.filePath(u"golden.json"_s);
        const QString url = server.url().toString();
        RegscopeRun run = runRegscope({u"--connect"_s, url, u"--dump"_s, u"json"_s, u"--output"_s,
                                       golden, u"--deadline"_s, u"20"_s});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(instancesOf(golden).size(), 2);

        // Renews move the stamps, nothing else: equal.
        QCOMPARE(
            post(nam, server, u"/discovery/renew"_s, instanceForm(u"payments.api"_s, u"node-1"_s)),
            0);
        run = runRegscope({u"--diff"_s, golden, url, u"--deadline"_s, u"20"_s});
        QVERIFY2(run.exitCode == 0, QByteArray(run.out + run.err).constData());

        // The snapshot as a source dumps the same instances, to the nanosecond.
        const QString again = dir.filePath(u"again.json"_s);
        run = runRegscope({u"--connect"_s, QUrl::fromLocalFile(golden).toString(), u"--dump"_s,
                           u"json"_s, u"--output"_s, again});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(instancesOf(again), instancesOf(golden));

        // A registration, a cancel and a status change: exit 1, each named by its key.
        QUrlQuery third = instanceForm(u"users.api"_s, u"node-9"_s);
        third.addQueryItem(u"status"_s, u"1"_s);
        third.addQueryItem(u"addrs"_s, u"http://127.0.0.1:8001"_s);
        QCOMPARE(post(nam, server, u"/discovery/register"_s, third), 0);
        QCOMPARE(
            post(nam, server, u"/discovery/cancel"_s, instanceForm(u"payments.api"_s, u"node-2"_s)),
            0);
        QUrlQuery set = instanceForm(u"payments.api"_s, u"node-1"_s);
        set.addQueryItem(u"status"_s, u"2"_s);
        QCOMPARE(post(nam, server, u"/discovery/set"_s, set), 0);
        run = runRegscope({u"--diff"_s, golden, url, u"--deadline"_s, u"20"_s});
        QCOMPARE(run.exitCode, 1);
        const QString out = QString::fromUtf8(run.out);
        QVERIFY2(out.contains(u"  + users.api/sh001/prod/node-9\n"_s), qPrintable(out));
        QVERIFY2(out.contains(u"  - payments.api/sh001/prod/node-2\n"_s), qPrintable(out));
        QVERIFY2(out.contains(u"  ~ payments.api/sh001/prod/node-1: status 1 → 2\n"_s),
                 qPrintable(out));
        QVERIFY2(!out.contains(u"renew_timestamp"_s), qPrintable(out));
    }
};

QTEST_GUILESS_MAIN(TestSnapshotDiscovery)
#include "tst_snapshot_discovery.moc"
