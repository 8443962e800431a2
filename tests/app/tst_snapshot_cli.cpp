// The real regscope executable with snapshots: `--dump json --output FILE` writes one, the
// file opens as a file:// source whose dump has the same records, metric history and timeline,
// and `--diff A B` exits 0 when equal, 1 naming what changed, 2 on an error.

#include "tests/support/RunRegscope.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using namespace Qt::StringLiterals;
using regscope::test::RegscopeRun;
using regscope::test::runRegscope;

namespace {

QJsonObject readJson(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

bool writeJson(const QString& path, const QJsonObject& o) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(QJsonDocument(o).toJson()) > 0;
}

QString fileUrl(const QString& path) {
    return QUrl::fromLocalFile(path).toString();
}

} // namespace

class TestSnapshotCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_a = m_dir.filePath(u"a.json"_s);
        const RegscopeRun run =
            runRegscope({u"--dump"_s, u"json"_s, u"--output"_s, m_a, u"--deadline"_s, u"20"_s});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(run.out.isEmpty()); // the snapshot went to the file
        m_snapshot = readJson(m_a);
        QCOMPARE(m_snapshot.value(u"schema"_s).toString(), u"regscope-snapshot"_s);
        QVERIFY(m_snapshot.value(u"entries"_s).toArray().size() >= 40);
        QVERIFY(!m_snapshot.value(u"metric_history"_s).toArray().isEmpty());
    }

    void roundTripThroughFileSource() {
        const QString b = m_dir.filePath(u"b.json"_s);
        const RegscopeRun run = runRegscope({u"--connect"_s, fileUrl(m_a), u"--dump"_s, u"json"_s,
                                             u"--output"_s, b, u"--deadline"_s, u"20"_s});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const QJsonObject again = readJson(b);
        for (const QString& field : {u"entries"_s, u"instances"_s, u"keys"_s, u"metric_history"_s})
            QVERIFY2(again.value(field) == m_snapshot.value(field), qPrintable(field));
        // The timeline is the snapshot's, then the file source going live.
        const QJsonArray before = m_snapshot.value(u"timeline"_s).toArray();
        const QJsonArray after = again.value(u"timeline"_s).toArray();
        QVERIFY(after.size() >= before.size());
        for (qsizetype i = 0; i < before.size(); ++i)
            QCOMPARE(after[i], before[i]);
        const QString reason = again.value(u"health"_s).toObject().value(u"reason"_s).toString();
        QVERIFY2(reason.startsWith(u"snapshot of demo taken at "_s), qPrintable(reason));

        const RegscopeRun diff = runRegscope({u"--diff"_s, m_a, b});
        QVERIFY2(diff.exitCode == 0, diff.out.constData());
        QVERIFY2(diff.out.contains("equal"), diff.out.constData());
    }

    void diffNamesTheChangedKeys() {
        QJsonObject edited = m_snapshot;
        QJsonArray entries = edited.value(u"entries"_s).toArray();
        const QString removed = entries[0].toObject().value(u"id"_s).toString();
        const QString changed = entries[1].toObject().value(u"id"_s).toString();
        QJsonObject second = entries[1].toObject();
        second[u"description"_s] = u"edited for the test"_s;
        entries[1] = second;
        QJsonObject added = second;
        added[u"name"_s] = u"zz-added"_s;
        entries.removeFirst();
        entries.append(added);
        edited[u"entries"_s] = entries;
        const QString c = m_dir.filePath(u"c.json"_s);
        QVERIFY(writeJson(c, edited));

        const RegscopeRun text = runRegscope({u"--diff"_s, m_a, fileUrl(c)});
        QVERIFY2(text.exitCode == 1, text.err.constData());
        const QString out = QString::fromUtf8(text.out);
        QVERIFY2(out.contains(u"  - "_s + removed + u'\n'), qPrintable(out));
        QVERIFY2(out.contains(u"zz-added"_s), qPrintable(out));
        QVERIFY2(out.contains(u"  ~ "_s + changed + u": description"_s), qPrintable(out));
        QVERIFY2(out.contains(u"1 added, 1 removed, 1 changed"_s), qPrintable(out));

        const RegscopeRun json = runRegscope({u"--diff"_s, m_a, c, u"--format"_s, u"json"_s});
        QCOMPARE(json.exitCode, 1);
        const QJsonObject result = QJsonDocument::fromJson(json.out).object();
        QCOMPARE(result.value(u"equal"_s).toBool(true), false);
        QCOMPARE(result.value(u"changed"_s).toInt(), 1);
        QStringList ids;
        for (const QJsonValue v : result.value(u"changes"_s).toArray())
            ids.append(v.toObject().value(u"id"_s).toString());
        QVERIFY2(ids.contains(removed) && ids.contains(changed), qPrintable(ids.join(u' ')));
    }

    void diffErrorsAreExitTwo_data() {
        QTest::addColumn<QString>("b");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing") << m_dir.filePath(u"missing.json"_s) << u"no such snapshot"_s;
        QTest::newRow("not json") << write(u"garbage.json"_s, "{\"entries\": [") << u"not JSON"_s;
        QJsonObject newer = m_snapshot;
        newer[u"schema_version"_s] = 99;
        QTest::newRow("newer") << write(u"newer.json"_s, QJsonDocument(newer).toJson())
                               << u"schema_version 99, newer than this regscope"_s;
        QTest::newRow("bad url") << u"gopher://example:70"_s << u"unsupported source"_s;
    }

    void diffErrorsAreExitTwo() {
        QFETCH(QString, b);
        QFETCH(QString, expected);
        const RegscopeRun run = runRegscope({u"--diff"_s, m_a, b});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(QString::fromUtf8(run.err).contains(expected), run.err.constData());
        QVERIFY(run.out.isEmpty());
    }

    void badSnapshotSourceIsDownWithTheReason() {
        const QString bad = write(u"bad-source.json"_s, "[1, 2]");
        const RegscopeRun run = runRegscope(
            {u"--connect"_s, fileUrl(bad), u"--dump"_s, u"json"_s, u"--deadline"_s, u"10"_s});
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("not a regscope snapshot"), run.err.constData());
        const RegscopeRun missing = runRegscope(
            {u"--connect"_s, fileUrl(m_dir.filePath(u"none.json"_s)), u"--dump"_s, u"json"_s});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains("no snapshot file"), missing.err.constData());
    }

    void unwritableOutputIsExitFour() {
        const RegscopeRun run =
            runRegscope({u"--dump"_s, u"json"_s, u"--output"_s,
                         m_dir.filePath(u"no-such-dir/x.json"_s), u"--deadline"_s, u"20"_s});
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains("cannot write"), run.err.constData());
    }

private:
    QString write(const QString& name, const QByteArray& bytes) {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (f.open(QIODevice::WriteOnly))
            f.write(bytes);
        return path;
    }

    QTemporaryDir m_dir;
    QString m_a;
    QJsonObject m_snapshot;
};

QTEST_GUILESS_MAIN(TestSnapshotCli)
#include "tst_snapshot_cli.moc"
