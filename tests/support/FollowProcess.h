#pragma once
// Runs the real `regscope --follow jsonl` (REGSCOPE_APP) and replays its lines as they come:
// upserts and removes applied in order to a map, so a test compares the replay with the
// source's own state. Protocol slips (a line that is not JSON, a remove of something never
// upserted, a second "synced", a change line missing a field) are collected in errors.

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>
#include <QTest>

#include <csignal>
#include <functional>
#include <map>

namespace regscope::test {

struct FollowReplay {
    std::map<QString, QJsonObject> state; // "kind\nid" -> the record
    std::map<QString, QString> keys;      // "kind\nid" -> the line's "key"
    QStringList errors;
    QList<QJsonObject> lines;
    int synced = 0;
    int resyncs = 0;
    int resyncChanges = 0;   // change lines marked "resync":true
    int snapshotUpserts = 0; // upserts before synced
    int removesBeforeSync = 0;
    QStringList health; // states of the health lines, in order

    void apply(const QJsonObject& o) {
        lines.append(o);
        const QString op = o.value(u"op").toString();
        if (!o.contains(u"source") || !o.value(u"time_ms").isDouble())
            errors.append(QStringLiteral("line without source/time_ms: ") +
                          QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
        if (op == u"synced") {
            ++synced;
            return;
        }
        if (op == u"resync") {
            ++resyncs;
            return;
        }
        if (op == u"health") {
            health.append(o.value(u"state").toString());
            return;
        }
        if (op != u"upsert" && op != u"remove") {
            if (op != u"alert")
                errors.append(QStringLiteral("unknown op ") + op);
            return;
        }
        if (synced == 0 && op == u"upsert")
            ++snapshotUpserts;
        if (o.value(u"resync").toBool())
            ++resyncChanges;
        const QString kind = o.value(u"kind").toString();
        const QString id = o.value(u"id").toString();
        if (kind.isEmpty() || id.isEmpty() || !o.value(u"key").isString() ||
            !o.value(u"revision").isDouble()) {
            errors.append(QStringLiteral("change line missing kind/id/key/revision"));
            return;
        }
        const QString k = kind + u'\n' + id;
        if (op == u"upsert") {
            if (!o.value(u"record").isObject())
                errors.append(QStringLiteral("upsert without a record: ") + id);
            state[k] = o.value(u"record").toObject();
            keys[k] = o.value(u"key").toString();
            return;
        }
        if (synced == 0)
            ++removesBeforeSync;
        if (state.erase(k) == 0)
            errors.append(QStringLiteral("remove of something never upserted: ") + id);
        keys.erase(k);
    }

    // The replayed records of one kind, by id.
    std::map<QString, QJsonObject> ofKind(const QString& kind) const {
        std::map<QString, QJsonObject> out;
        for (const auto& [k, v] : state)
            if (k.startsWith(kind + u'\n'))
                out.emplace(k.mid(kind.size() + 1), v);
        return out;
    }
};

class FollowProcess {
public:
    explicit FollowProcess(const QStringList& args) {
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, [this] { pump(); });
        m_process.start(QStringLiteral(REGSCOPE_APP),
                        QStringList{QStringLiteral("--follow"), QStringLiteral("jsonl")} + args);
    }
    ~FollowProcess() {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    FollowReplay& replay() { return m_replay; }
    qint64 pid() const { return m_process.processId(); }
    QProcess& process() { return m_process; }

    // Runs the event loop (reading lines) until pred() holds or timeoutMs pass.
    bool waitFor(const std::function<bool()>& pred, int timeoutMs) {
        return QTest::qWaitFor(
            [&] {
                pump();
                return pred();
            },
            timeoutMs);
    }
    bool waitSynced(int timeoutMs = 20'000) {
        return waitFor([this] { return m_replay.synced > 0; }, timeoutMs);
    }
    // SIGTERM (or another signal), then the exit code (-1: crashed, or still running).
    int stop(int signo = SIGTERM, int timeoutMs = 10'000) {
        ::kill(pid_t(m_process.processId()), signo);
        return waitExit(timeoutMs);
    }
    int waitExit(int timeoutMs) {
        if (!waitFor([this] { return m_process.state() == QProcess::NotRunning; }, timeoutMs))
            return -1;
        pump();
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }
    QByteArray stderrText() { return m_err += m_process.readAllStandardError(); }

    void pump() {
        m_buffer += m_process.readAllStandardOutput();
        qsizetype from = 0;
        for (qsizetype nl; (nl = m_buffer.indexOf('\n', from)) >= 0; from = nl + 1) {
            QJsonParseError error{};
            const QJsonDocument doc =
                QJsonDocument::fromJson(m_buffer.mid(from, nl - from), &error);
            if (!doc.isObject())
                m_replay.errors.append(QStringLiteral("not a JSON object line: ") +
                                       QString::fromUtf8(m_buffer.mid(from, nl - from)));
            else
                m_replay.apply(doc.object());
        }
        m_buffer.remove(0, from);
    }

private:
    QProcess m_process;
    QByteArray m_buffer;
    QByteArray m_err;
    FollowReplay m_replay;
};

} // namespace regscope::test
