#pragma once
// Test support: start the REAL regscope-discoveryd (and registrators) on a free loopback
// port, and talk to it over HTTP with deadlines. No sleeps: every wait is on a signal.

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QUrlQuery>

#include <memory>

namespace regscope::testing {

QString discoverydPath();
QString registratorPath();

class DiscoverydProcess {
public:
    DiscoverydProcess() = default;
    ~DiscoverydProcess();
    DiscoverydProcess(const DiscoverydProcess&) = delete;
    DiscoverydProcess& operator=(const DiscoverydProcess&) = delete;

    // Starts it with --listen 127.0.0.1:0 plus extra flags; waits (10 s max) for the bound
    // address on its first stdout line.
    bool start(const QStringList& extraArgs = {});
    // SIGTERM, wait (unless it is not running), and start it again with the same flags on the
    // same address.
    bool restart();
    void kill(); // SIGKILL, wait
    bool isRunning() const;
    QString address() const { return m_address; } // host:port
    QUrl url(const QString& path = {}) const;
    QProcess* process() const { return m_process.get(); }

private:
    bool launch(const QString& listen);

    std::unique_ptr<QProcess> m_process;
    QString m_address;
    QStringList m_extraArgs;
};

struct ApiResult {
    int httpStatus = 0;
    int code = 1; // 1: no envelope (transport error or not JSON)
    QString message;
    QJsonValue data;
    QByteArray raw;
    bool transportOk = false;
};

// Blocking helpers with a deadline, for test bodies.
ApiResult httpGet(QNetworkAccessManager& nam, const QUrl& url, int timeoutMs = 10'000);
ApiResult httpPost(QNetworkAccessManager& nam, const QUrl& url, const QUrlQuery& form,
                   int timeoutMs = 10'000);
ApiResult httpPostRaw(QNetworkAccessManager& nam, const QUrl& url, const QByteArray& body,
                      const QByteArray& contentType, int timeoutMs = 10'000);

// An in-flight request whose answer is collected later (for long-polls).
class PendingRequest {
public:
    PendingRequest(QNetworkAccessManager& nam, const QUrl& url);
    ~PendingRequest();
    bool isFinished() const;
    ApiResult wait(int timeoutMs);
    void abort();

private:
    class QNetworkReply* m_reply;
};

ApiResult toResult(class QNetworkReply* reply);

// One registrator wrapping a long-running child (sleep), registering one instance.
struct RegistratorSpec {
    QString appid;
    QString hostname;
    QString zone = QStringLiteral("z1");
    QString env = QStringLiteral("prod");
    QString renewInterval = QStringLiteral("200ms");
    QString childSeconds = QStringLiteral("600");
    QStringList addrs = {QStringLiteral("http://127.0.0.1:9000")}; // each one --addr
};
std::unique_ptr<QProcess> startRegistrator(const QUrl& discovery, const RegistratorSpec& spec);

} // namespace regscope::testing
