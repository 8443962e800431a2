#include "EtcdProcess.h"

#include <QDeadlineTimer>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <algorithm>
#include <csignal>

using namespace Qt::StringLiterals;

namespace regscope::test {

EtcdProcess::EtcdProcess(int members) {
    // Hold every listener until all ports are picked so no two are the same.
    std::vector<std::unique_ptr<QTcpServer>> holders;
    auto pick = [&] {
        auto s = std::make_unique<QTcpServer>();
        s->listen(QHostAddress::LocalHost, 0);
        const quint16 p = s->serverPort();
        holders.push_back(std::move(s));
        return p;
    };
    for (int i = 0; i < members; ++i) {
        Member m;
        m.name = u"m"_s + QString::number(i);
        m.clientPort = pick();
        m.peerPort = pick();
        m_members.push_back(std::move(m));
    }
    m_token = u"regscope-test-"_s + QString::number(QRandomGenerator::global()->generate(), 16);
    m_everStarted.assign(static_cast<size_t>(members), false);
}

EtcdProcess::~EtcdProcess() {
    stopAll();
}

QString EtcdProcess::endpoint(int i) const {
    return u"127.0.0.1:"_s + QString::number(m_members[static_cast<size_t>(i)].clientPort);
}

QStringList EtcdProcess::endpoints() const {
    QStringList out;
    for (int i = 0; i < size(); ++i)
        out.append(endpoint(i));
    return out;
}

QString EtcdProcess::etcdUrl(const QString& prefix) const {
    return u"etcd://"_s + endpoints().join(u',') + prefix;
}

bool EtcdProcess::isRunning(int i) const {
    const auto& p = m_members[static_cast<size_t>(i)].process;
    return p && p->state() != QProcess::NotRunning;
}

QStringList EtcdProcess::argsFor(int i, bool fresh) const {
    const Member& m = m_members[static_cast<size_t>(i)];
    const QString client =
        (m_tls ? u"https://127.0.0.1:"_s : u"http://127.0.0.1:"_s) + QString::number(m.clientPort);
    const QString peer = u"http://127.0.0.1:"_s + QString::number(m.peerPort);
    QStringList cluster;
    for (const Member& o : m_members)
        cluster.append(o.name + u"=http://127.0.0.1:"_s + QString::number(o.peerPort));
    QStringList args{
        u"--name"_s,
        m.name,
        u"--data-dir"_s,
        m_dir.filePath(m.name),
        u"--listen-client-urls"_s,
        client,
        u"--advertise-client-urls"_s,
        client,
        u"--listen-peer-urls"_s,
        peer,
        u"--initial-advertise-peer-urls"_s,
        peer,
        u"--initial-cluster"_s,
        cluster.join(u','),
        u"--initial-cluster-token"_s,
        m_token,
        u"--initial-cluster-state"_s,
        u"new"_s,
        // Fast elections keep failover tests short.
        u"--heartbeat-interval"_s,
        u"50"_s,
        u"--election-timeout"_s,
        u"500"_s,
        u"--logger"_s,
        u"zap"_s,
        u"--log-outputs"_s,
        u"stderr"_s,
        u"--log-level"_s,
        u"error"_s,
    };
    Q_UNUSED(fresh);
    if (m_tls) {
        args << u"--cert-file"_s << m_tls->certFile << u"--key-file"_s << m_tls->keyFile;
        if (m_tls->requireClientCert)
            args << u"--client-cert-auth"_s << u"--trusted-ca-file"_s << m_tls->caFile;
    }
    return args;
}

bool EtcdProcess::healthy(int i) {
    if (m_tls) { // no TLS in QTcpSocket: ask etcdctl, which speaks it
        const QString saved = m_error;
        const bool ok = etcdctl({u"endpoint"_s, u"health"_s}, i, 3000).has_value();
        m_error = saved;
        return ok;
    }
    QTcpSocket s;
    s.connectToHost(u"127.0.0.1"_s, m_members[static_cast<size_t>(i)].clientPort);
    if (!s.waitForConnected(300))
        return false;
    s.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QByteArray reply;
    QDeadlineTimer deadline(1000);
    while (!deadline.hasExpired() && s.waitForReadyRead(static_cast<int>(deadline.remainingTime())))
        reply += s.readAll();
    reply += s.readAll();
    return reply.contains("\"health\":\"true\"");
}

bool EtcdProcess::startMember(int i, int timeoutMs) {
    Member& m = m_members[static_cast<size_t>(i)];
    m.process = std::make_unique<QProcess>();
    m.process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m.process->setStandardOutputFile(QProcess::nullDevice());
    m.process->start(u"etcd"_s, argsFor(i, !m_everStarted[static_cast<size_t>(i)]));
    if (!m.process->waitForStarted(5000)) {
        m_error = u"etcd did not start: "_s + m.process->errorString();
        return false;
    }
    m_everStarted[static_cast<size_t>(i)] = true;
    // Healthy, or exited, within the deadline.
    (void)QTest::qWaitFor([&] { return m.process->state() == QProcess::NotRunning || healthy(i); },
                          timeoutMs);
    if (m.process->state() == QProcess::NotRunning) {
        m_error = u"etcd "_s + m.name + u" exited with "_s + QString::number(m.process->exitCode());
        return false;
    }
    if (healthy(i))
        return true;
    m_error = u"etcd "_s + m.name + u" not healthy in time"_s;
    return false;
}

bool EtcdProcess::start(int timeoutMs) {
    // Members of a new cluster wait for each other: launch all, then wait.
    for (int i = 0; i < size(); ++i) {
        Member& m = m_members[static_cast<size_t>(i)];
        m.process = std::make_unique<QProcess>();
        m.process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m.process->setStandardOutputFile(QProcess::nullDevice());
        m.process->start(u"etcd"_s, argsFor(i, true));
        if (!m.process->waitForStarted(5000)) {
            m_error = u"etcd did not start: "_s + m.process->errorString();
            return false;
        }
        m_everStarted[static_cast<size_t>(i)] = true;
    }
    QDeadlineTimer deadline(timeoutMs);
    for (int i = 0; i < size(); ++i) {
        (void)QTest::qWaitFor([&] { return !isRunning(i) || healthy(i); },
                              int(std::max<qint64>(0, deadline.remainingTime())));
        if (!healthy(i)) {
            m_error = u"etcd m"_s + QString::number(i) + u" not healthy in time"_s;
            return false;
        }
    }
    return true;
}

void EtcdProcess::killMember(int i) {
    auto& p = m_members[static_cast<size_t>(i)].process;
    if (!p || p->state() == QProcess::NotRunning)
        return;
    p->kill();
    p->waitForFinished(5000);
}

void EtcdProcess::suspendMember(int i) {
    auto& p = m_members[static_cast<size_t>(i)].process;
    if (p && p->state() != QProcess::NotRunning)
        ::kill(static_cast<pid_t>(p->processId()), SIGSTOP);
}

void EtcdProcess::resumeMember(int i) {
    auto& p = m_members[static_cast<size_t>(i)].process;
    if (p && p->state() != QProcess::NotRunning)
        ::kill(static_cast<pid_t>(p->processId()), SIGCONT);
}

void EtcdProcess::stopAll() {
    for (auto& m : m_members) {
        if (m.process && m.process->state() != QProcess::NotRunning) {
            m.process->terminate();
            if (!m.process->waitForFinished(3000)) {
                m.process->kill();
                m.process->waitForFinished(3000);
            }
        }
    }
}

std::optional<QByteArray> EtcdProcess::etcdctl(const QStringList& args, int member, int timeoutMs) {
    QStringList eps;
    for (int i = 0; i < size(); ++i)
        if ((member < 0 && isRunning(i)) || member == i)
            eps.append(endpoint(i));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"ETCDCTL_API"_s, u"3"_s);
    p.setProcessEnvironment(env);
    QStringList global{u"--endpoints="_s + eps.join(u','), u"--command-timeout=5s"_s};
    if (m_tls) {
        global << u"--cacert="_s + m_tls->caFile;
        if (!m_tls->clientCertFile.isEmpty())
            global << u"--cert="_s + m_tls->clientCertFile << u"--key="_s + m_tls->clientKeyFile;
    }
    if (!m_user.isEmpty())
        global << u"--user="_s + m_user;
    p.start(u"etcdctl"_s, global + args);
    if (!p.waitForFinished(timeoutMs) || p.exitStatus() != QProcess::NormalExit ||
        p.exitCode() != 0) {
        m_error =
            u"etcdctl "_s + args.join(u' ') + u": "_s + QString::fromUtf8(p.readAllStandardError());
        p.kill();
        p.waitForFinished(1000);
        return std::nullopt;
    }
    return p.readAllStandardOutput();
}

} // namespace regscope::test
