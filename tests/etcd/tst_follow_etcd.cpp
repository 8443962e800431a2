// `regscope --connect etcd://… --follow jsonl` against a real etcd: the lines, replayed in
// order, equal what etcdctl sees at the end, through churn, a member restart, and a
// compaction past the follower's revision (a marked resync, never a gap); exit codes 0
// (SIGTERM, --for), 3 (never reachable) and 4 (lost past --deadline; a reader that stopped).

#include "EtcdProcess.h"
#include "EtcdTestSupport.h"
#include "connectors/etcd/EtcdClient.h"
#include "tests/support/FollowProcess.h"

#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;

namespace {

QByteArray bytesOf(const QJsonObject& record, const char* field, const char* b64) {
    if (record.contains(QLatin1StringView(b64)))
        return QByteArray::fromBase64(record.value(QLatin1StringView(b64)).toString().toLatin1());
    return record.value(QLatin1StringView(field)).toString().toUtf8();
}

// The replayed keys against etcdctl's: same keys, values and revisions. Empty: equal.
QString compare(const FollowReplay& replay, const KeyState& want) {
    const auto got = replay.ofKind(u"key"_s);
    if (got.size() != want.size())
        return u"replay has %1 keys, etcd %2"_s.arg(got.size()).arg(want.size());
    for (const auto& [id, record] : got) {
        const QByteArray key = bytesOf(record, "key", "key_b64");
        const auto it = want.find(key);
        if (it == want.end())
            return u"replay has %1, etcd does not"_s.arg(id);
        if (bytesOf(record, "value", "value_b64") != it->second.value ||
            record.value(u"mod_revision").toInteger() != it->second.modRevision)
            return u"%1 differs"_s.arg(id);
    }
    return {};
}

QStringList followArgs(EtcdProcess& etcd, const QString& deadline = u"20"_s) {
    return {u"--connect"_s, etcd.etcdUrl(u"/f/"_s), u"--deadline"_s, deadline};
}

// Random puts and deletes on 40 keys; returns the last revision written.
qint64 churn(EtcdClient& client, int ops, int salt) {
    qint64 rev = 0;
    auto* rng = QRandomGenerator::global();
    for (int i = 0; i < ops; ++i) {
        const QByteArray key = "/f/k" + QByteArray::number(rng->bounded(40));
        const auto r = rng->bounded(4) == 0
                           ? client.deleteRange(key)
                           : client.put(key, "v" + QByteArray::number(salt * 100000 + i));
        if (r)
            rev = *r;
    }
    return rev;
}

} // namespace

class TestFollowEtcd : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // The snapshot first (upserts, then one synced), then every change; a restart of the
    // member resumes the watch (no resync needed, nothing lost).
    void replayEqualsEtcdThroughChurnAndRestart() {
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        EtcdClient client(etcd.endpoint(0), testOptions(etcd.endpoints(), {}));
        QVERIFY(client.connect());
        for (int i = 0; i < 30; ++i)
            QVERIFY(client.put("/f/k" + QByteArray::number(i), "first"));
        QVERIFY(client.put(QByteArray("/f/bin") + char(0xff), QByteArray("v") + char(0x80)));
        QVERIFY(client.put("/other", "not followed"));

        FollowProcess follow(followArgs(etcd));
        QVERIFY(follow.waitSynced());
        FollowReplay& replay = follow.replay();
        QCOMPARE(replay.snapshotUpserts, 31);
        QCOMPARE(replay.lines.at(31).value(u"op").toString(), u"synced"_s);
        QCOMPARE(replay.lines.at(31).value(u"counts").toObject().value(u"keys").toInt(), 31);
        // The non-UTF-8 key: escaped in "key", exact in "key_b64".
        const auto bin = std::find_if(replay.lines.begin(), replay.lines.end(), [](const auto& o) {
            return o.value(u"key").toString() == u"/f/bin\\xff"_s;
        });
        QVERIFY(bin != replay.lines.end());
        QCOMPARE(QByteArray::fromBase64(bin->value(u"key_b64").toString().toLatin1()),
                 QByteArray("/f/bin") + char(0xff));
        QCOMPARE(bin->value(u"kind").toString(), u"key"_s);

        churn(client, 300, 1);
        auto want = etcdctlState(etcd, "/f/");
        QVERIFY(want);
        QVERIFY2(follow.waitFor([&] { return compare(replay, *want).isEmpty(); }, 10'000),
                 qPrintable(compare(replay, *want)));

        // Member restart: same data dir and port; changes while it is down are impossible,
        // changes after it are resumed from the follower's revision.
        etcd.killMember(0);
        QVERIFY(follow.waitFor(
            [&] {
                return replay.health.contains(u"down"_s) || replay.health.contains(u"degraded"_s);
            },
            10'000));
        QVERIFY2(etcd.startMember(0), qPrintable(etcd.lastError()));
        EtcdClient again(etcd.endpoint(0), testOptions(etcd.endpoints(), {}));
        QVERIFY(again.connect());
        churn(again, 200, 2);
        want = etcdctlState(etcd, "/f/");
        QVERIFY(want);
        QVERIFY2(follow.waitFor([&] { return compare(replay, *want).isEmpty(); }, 15'000),
                 qPrintable(compare(replay, *want)));
        QCOMPARE(replay.health.last(), u"live"_s);
        QCOMPARE(replay.synced, 1);
        QVERIFY2(replay.errors.isEmpty(), qPrintable(replay.errors.join(u'\n')));
        QCOMPARE(follow.stop(SIGTERM), 0);
    }

    // The follower is frozen while its member restarts and etcd compacts past the follower's
    // revision: on waking it cannot resume, reloads, and the lines say what changed, marked
    // as a resync, so the replay still equals etcd.
    void compactionPastTheFollowerIsAMarkedResync() {
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        EtcdClient client(etcd.endpoint(0), testOptions(etcd.endpoints(), {}));
        QVERIFY(client.connect());
        for (int i = 0; i < 40; ++i)
            QVERIFY(client.put("/f/k" + QByteArray::number(i), "first"));
        FollowProcess follow(followArgs(etcd));
        QVERIFY(follow.waitSynced());
        FollowReplay& replay = follow.replay();

        ::kill(pid_t(follow.pid()), SIGSTOP);
        etcd.killMember(0); // the follower's watch stream dies while it is frozen
        QVERIFY2(etcd.startMember(0), qPrintable(etcd.lastError()));
        EtcdClient again(etcd.endpoint(0), testOptions(etcd.endpoints(), {}));
        QVERIFY(again.connect());
        const qint64 last = churn(again, 200, 3);
        QVERIFY(again.deleteRange("/f/k0")); // at least one remove the resync must imply
        QVERIFY(again.put("/f/new", "born while the follower slept"));
        QVERIFY(last > 0);
        QVERIFY(again.compact(last));
        ::kill(pid_t(follow.pid()), SIGCONT);

        const auto want = etcdctlState(etcd, "/f/");
        QVERIFY(want);
        QVERIFY2(follow.waitFor([&] { return compare(replay, *want).isEmpty(); }, 20'000),
                 qPrintable(compare(replay, *want)));
        QVERIFY(follow.waitFor([&] { return replay.resyncs > 0; }, 5000));
        QVERIFY(replay.resyncChanges > 0);
        QVERIFY(replay.ofKind(u"key"_s).count(u"/f/new"_s) == 1);
        QVERIFY(replay.ofKind(u"key"_s).count(u"/f/k0"_s) == 0);
        QVERIFY2(replay.errors.isEmpty(), qPrintable(replay.errors.join(u'\n')));
        QCOMPARE(follow.stop(SIGINT), 0);
    }

    void unreachableAtStartIsExitThree() {
        EtcdProcess etcd(1); // ports picked, nothing started
        FollowProcess follow(followArgs(etcd, u"2"_s));
        QCOMPARE(follow.waitExit(15'000), 3);
        QVERIFY(follow.replay().lines.isEmpty());
        QVERIFY2(follow.stderrText().contains("cannot reach"), follow.stderrText().constData());
    }

    void lostPastTheDeadlineIsExitFour() {
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        FollowProcess follow(followArgs(etcd, u"2"_s));
        QVERIFY(follow.waitSynced());
        etcd.killMember(0);
        QCOMPARE(follow.waitExit(15'000), 4);
        QVERIFY2(follow.stderrText().contains("lost"), follow.stderrText().constData());
        QVERIFY(!follow.replay().health.isEmpty());
        QVERIFY(follow.replay().health.last() != u"live"_s);
    }

    // --for ends it with 0, and what was applied by then is written.
    void forSecondsEndsWithZero() {
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        EtcdClient client(etcd.endpoint(0), testOptions(etcd.endpoints(), {}));
        QVERIFY(client.connect());
        QVERIFY(client.put("/f/a", "1"));
        FollowProcess follow(followArgs(etcd) + QStringList{u"--for"_s, u"2"_s});
        QCOMPARE(follow.waitExit(15'000), 0);
        QCOMPARE(follow.replay().synced, 1);
        QCOMPARE(follow.replay().ofKind(u"key"_s).size(), size_t(1));
    }

    // The reader closes the pipe (as `| head` does): the next write is EPIPE, and the
    // follower ends quietly with 0.
    void aClosedPipeEndsItQuietly() {
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        int fds[2];
        QCOMPARE(::pipe2(fds, O_CLOEXEC), 0); // its stdout, a pipe we close after "synced"
        QProcess p;
        p.setChildProcessModifier([w = fds[1]] { ::dup2(w, STDOUT_FILENO); });
        p.start(QStringLiteral(REGSCOPE_APP),
                QStringList{u"--follow"_s, u"jsonl"_s} + followArgs(etcd));
        ::close(fds[1]);
        QByteArray seen;
        pollfd pfd{fds[0], POLLIN, 0};
        while (!seen.contains("\"op\":\"synced\"") && ::poll(&pfd, 1, 20'000) == 1) {
            char buf[4096];
            const ssize_t n = ::read(fds[0], buf, sizeof buf);
            if (n <= 0)
                break;
            seen.append(buf, n);
        }
        QVERIFY(seen.contains("\"op\":\"synced\""));
        ::close(fds[0]);
        EtcdClient client(etcd.endpoint(0), testOptions(etcd.endpoints(), {}));
        QVERIFY(client.connect());
        for (int i = 0; i < 5; ++i)
            QVERIFY(client.put("/f/after" + QByteArray::number(i), "x"));
        QVERIFY(p.waitForFinished(10'000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 0);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(!err.contains("regscope:"), err.constData());
    }

    // A reader that never reads: the follower fills its bound, waits --deadline for progress,
    // and ends with 4 and a sentence, instead of hanging or growing.
    void aReaderThatStopsReadingEndsIt() {
        EtcdProcess etcd(1);
        QVERIFY2(etcd.start(), qPrintable(etcd.lastError()));
        int fds[2];
        QCOMPARE(::pipe(fds), 0); // its stdout: never read
        QProcess p;
        p.setChildProcessModifier([w = fds[1]] { ::dup2(w, STDOUT_FILENO); });
        p.start(QStringLiteral(REGSCOPE_APP),
                QStringList{u"--follow"_s, u"jsonl"_s} + followArgs(etcd, u"2"_s));
        ::close(fds[1]);
        // Its first bytes (synced, on an empty prefix) say the watch is up; nothing is read.
        pollfd pfd{fds[0], POLLIN, 0};
        QCOMPARE(::poll(&pfd, 1, 20'000), 1);
        EtcdClient client(etcd.endpoint(0), testOptions(etcd.endpoints(), {}));
        QVERIFY(client.connect());
        const QByteArray big(1 << 20, 'x'); // 20 MiB of lines: over the 16 MiB bound
        for (int i = 0; i < 20; ++i)
            QVERIFY(client.put("/f/big" + QByteArray::number(i), big));
        // On a loaded machine the 20 MiB can reach the writer as one flush, in one write():
        // the writer thread itself must see the stall (it hung here before it did).
        QVERIFY(p.waitForFinished(30'000));
        ::close(fds[0]);
        QCOMPARE(p.exitCode(), 4);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("the reader took nothing"), err.constData());
    }
};

QTEST_GUILESS_MAIN(TestFollowEtcd)
#include "tst_follow_etcd.moc"
