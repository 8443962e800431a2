#pragma once
// Runs the real attach_test_host (ATTACH_TEST_HOST, set by CMake) as a separate process with
// REGSCOPE_DEBUG=1 and a private XDG_RUNTIME_DIR, and talks to it over its stdin/stdout with a
// deadline on every wait. Used by the tst_attach_* tests and the attach_app benchmark.

#include "models/SourceEvent.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>

#include <memory>

namespace regscope::test {

// A private runtime directory for this test process and the hosts it starts: the library puts
// its sockets in $XDG_RUNTIME_DIR/regscope, the app looks there too.
inline QString useTemporaryRuntimeDir() {
    static QTemporaryDir dir;
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(dir.path()));
    return dir.path();
}

class AttachHost {
public:
    // socketPath: where the endpoint listens (REGSCOPE_DEBUG_SOCKET), else the path rule's.
    explicit AttachHost(const QString& registries = QStringLiteral("codec"),
                        const QString& socketPath = {})
        : m_socketPath(socketPath) {
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("REGSCOPE_DEBUG"), QStringLiteral("1"));
        if (!socketPath.isEmpty())
            env.insert(QStringLiteral("REGSCOPE_DEBUG_SOCKET"), socketPath);
        m_process.setProcessEnvironment(env);
        // The endpoint's audit lines go to stderr: kept only when ATTACH_HOST_STDERR names a file.
        m_process.setStandardErrorFile(qEnvironmentVariableIsSet("ATTACH_HOST_STDERR")
                                           ? qEnvironmentVariable("ATTACH_HOST_STDERR")
                                           : QProcess::nullDevice());
        m_process.start(QStringLiteral(ATTACH_TEST_HOST), {registries});
        const QByteArray ready = readLine(10000);
        if (ready.startsWith("READY "))
            m_pid = ready.mid(6).trimmed().toLongLong();
    }
    ~AttachHost() { quit(); }

    qint64 pid() const { return m_pid; }
    QString socketPath() const {
        if (!m_socketPath.isEmpty())
            return m_socketPath;
        return qEnvironmentVariable("XDG_RUNTIME_DIR") +
               QStringLiteral("/regscope/%1.sock").arg(m_pid);
    }
    // The endpoint is listening (its socket file exists), within the deadline.
    bool waitForSocket(int ms = 10000) const {
        // Not QTest::qWaitFor: the attach_app benchmark includes this header without QtTest.
        for (QDeadlineTimer deadline(ms); !deadline.hasExpired();) {
            if (QFileInfo::exists(socketPath()))
                return true;
            if (m_process.state() != QProcess::Running)
                return false;
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
            QThread::msleep(5);
        }
        return QFileInfo::exists(socketPath());
    }

    // Sends a command; returns its first answer line (empty on timeout).
    QByteArray command(const QByteArray& line, int ms = 30000) {
        m_process.write(line + '\n');
        m_process.waitForBytesWritten(1000);
        return readLine(ms);
    }

    // Every entry the host holds, as recordId() strings with kind and description.
    QSet<QString> dump(int ms = 30000) {
        QSet<QString> out;
        m_process.write("dump\n");
        for (QDeadlineTimer deadline(ms);;) {
            const QByteArray line = readLine(int(std::max<qint64>(1, deadline.remainingTime())));
            if (line.isEmpty() || line == "END")
                return out;
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            EntryRecord r;
            r.registry = o.value(u"registry").toString();
            r.tenant = o.value(u"tenant").toString();
            r.name = o.value(u"name").toString();
            r.version = o.value(u"version").toString();
            r.aliasOf = o.value(u"alias_of").toString();
            out.insert(recordId(r) + u'|' + o.value(u"kind").toString() + u'|' +
                       o.value(u"description").toString());
        }
    }

    void kill() {
        m_process.kill(); // SIGKILL: no atexit, no goodbye on the socket
        m_process.waitForFinished(5000);
    }
    void quit() {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.write("quit\n");
        if (!m_process.waitForFinished(5000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    QProcess& process() { return m_process; }

    // The next answer line (empty on timeout).
    QByteArray readLine(int ms) {
        QDeadlineTimer deadline(ms);
        while (!m_process.canReadLine()) {
            if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
                return {};
            m_process.waitForReadyRead(int(std::clamp<qint64>(deadline.remainingTime(), 1, 100)));
        }
        return m_process.readLine().trimmed();
    }

private:
    QProcess m_process;
    QString m_socketPath;
    qint64 m_pid = 0;
};

// What a store holds of entries, in AttachHost::dump()'s form.
template <class Store>
QSet<QString> storeEntries(const Store& store) {
    QSet<QString> out;
    store.forEach(RecordKind::Entry, [&](const Record& r) {
        const auto& e = std::get<EntryRecord>(r);
        out.insert(recordId(e) + u'|' + e.type + u'|' + e.description);
    });
    return out;
}

} // namespace regscope::test
