#pragma once
// Test helper: real etcd members (Debian's etcd) on free loopback ports, in a temporary data
// dir, waited for with a deadline, stopped on destruction. One member or a cluster.

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>
#include <optional>
#include <vector>

namespace regscope::test {

class EtcdProcess {
public:
    // Picks free ports now; nothing runs until start().
    explicit EtcdProcess(int members = 1);
    ~EtcdProcess();

    // Serve clients over TLS (before start()): PEM files; requireClientCert turns on
    // --client-cert-auth, and etcdctl() then presents clientCert/clientKey.
    struct Tls {
        QString certFile, keyFile, caFile, clientCertFile, clientKeyFile, serverName;
        bool requireClientCert = false;
    };
    void setTls(const Tls& tls) { m_tls = tls; }
    // etcdctl() adds --user=<user> when set (after auth has been enabled).
    void setEtcdctlUser(const QString& userColonPassword) { m_user = userColonPassword; }

    // Starts every member and waits (up to timeoutMs) until /health says true on all.
    bool start(int timeoutMs = 20000);
    // Starts one (stopped) member again with its data dir; waits for its health.
    bool startMember(int i, int timeoutMs = 20000);
    void killMember(int i); // SIGKILL, waited for
    // SIGSTOP / SIGCONT: a member that is up but answers nothing (a hung or partitioned node).
    void suspendMember(int i);
    void resumeMember(int i);
    void stopAll();

    int size() const { return static_cast<int>(m_members.size()); }
    QString endpoint(int i) const; // "127.0.0.1:port"
    QStringList endpoints() const;
    QString etcdUrl(const QString& prefix) const; // "etcd://a,b,c/prefix"
    bool isRunning(int i) const;
    QString lastError() const { return m_error; }

    // Runs etcdctl against the given members (default: all running) with a deadline;
    // returns stdout, or an empty optional with lastError() set.
    std::optional<QByteArray> etcdctl(const QStringList& args, int member = -1,
                                      int timeoutMs = 10000);

private:
    struct Member {
        QString name;
        quint16 clientPort = 0;
        quint16 peerPort = 0;
        std::unique_ptr<QProcess> process;
    };
    bool healthy(int i);
    QStringList argsFor(int i, bool fresh) const;

    QTemporaryDir m_dir;
    std::vector<Member> m_members;
    QString m_token;
    QString m_error;
    std::vector<bool> m_everStarted;
    std::optional<Tls> m_tls;
    QString m_user;
};

} // namespace regscope::test
