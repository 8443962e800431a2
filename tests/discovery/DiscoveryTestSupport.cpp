#include "tests/discovery/DiscoveryTestSupport.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace regscope::testing {

QString discoverydPath() {
    return QStringLiteral(REGSCOPE_DISCOVERYD_PATH);
}

QString registratorPath() {
    return QStringLiteral(REGSCOPE_REGISTRATOR_PATH);
}

DiscoverydProcess::~DiscoverydProcess() {
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(5000)) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
}

bool DiscoverydProcess::start(const QStringList& extraArgs) {
    m_extraArgs = extraArgs;
    return launch(u"127.0.0.1:0"_s);
}

bool DiscoverydProcess::restart() {
    if (!m_process || m_address.isEmpty())
        return false;
    if (m_process->state() != QProcess::NotRunning) { // after kill() it is gone already
        m_process->terminate();
        if (!m_process->waitForFinished(10'000))
            return false;
    }
    const QString address = m_address;
    return launch(address) && m_address == address;
}

bool DiscoverydProcess::launch(const QString& listen) {
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    m_process->setReadChannel(QProcess::StandardOutput);
    QStringList args{u"--listen"_s, listen};
    args += m_extraArgs;
    m_process->start(discoverydPath(), args);
    if (!m_process->waitForStarted(10'000))
        return false;
    QDeadlineTimer deadline(10'000);
    while (!m_process->canReadLine()) {
        if (deadline.hasExpired() || m_process->state() == QProcess::NotRunning)
            return false;
        m_process->waitForReadyRead(static_cast<int>(deadline.remainingTime()));
    }
    m_address = QString::fromUtf8(m_process->readLine()).trimmed();
    return !m_address.isEmpty();
}

void DiscoverydProcess::kill() {
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

bool DiscoverydProcess::isRunning() const {
    return m_process && m_process->state() != QProcess::NotRunning;
}

QUrl DiscoverydProcess::url(const QString& path) const {
    return QUrl(u"http://"_s % m_address % path);
}

ApiResult toResult(QNetworkReply* reply) {
    ApiResult r;
    r.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.raw = reply->readAll();
    r.transportOk = r.httpStatus != 0;
    const auto doc = QJsonDocument::fromJson(r.raw);
    if (doc.isObject()) {
        const auto o = doc.object();
        r.code = o.value(u"code"_s).toInt(1);
        r.message = o.value(u"message"_s).toString();
        r.data = o.value(u"data"_s);
    }
    return r;
}

namespace {

ApiResult finish(QNetworkReply* reply, int timeoutMs) {
    if (!reply->isFinished()) {
        QSignalSpy spy(reply, &QNetworkReply::finished);
        if (!spy.wait(timeoutMs)) {
            reply->abort();
        }
    }
    ApiResult r = toResult(reply);
    reply->deleteLater();
    return r;
}

} // namespace

ApiResult httpGet(QNetworkAccessManager& nam, const QUrl& url, int timeoutMs) {
    return finish(nam.get(QNetworkRequest(url)), timeoutMs);
}

ApiResult httpPost(QNetworkAccessManager& nam, const QUrl& url, const QUrlQuery& form,
                   int timeoutMs) {
    return httpPostRaw(nam, url, form.query(QUrl::FullyEncoded).toUtf8(),
                       "application/x-www-form-urlencoded", timeoutMs);
}

ApiResult httpPostRaw(QNetworkAccessManager& nam, const QUrl& url, const QByteArray& body,
                      const QByteArray& contentType, int timeoutMs) {
    QNetworkRequest req(url);
    req.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    return finish(nam.post(req, body), timeoutMs);
}

PendingRequest::PendingRequest(QNetworkAccessManager& nam, const QUrl& url)
    : m_reply(nam.get(QNetworkRequest(url))) {}

PendingRequest::~PendingRequest() {
    if (m_reply) {
        m_reply->abort();
        m_reply->deleteLater();
    }
}

bool PendingRequest::isFinished() const {
    return m_reply && m_reply->isFinished();
}

ApiResult PendingRequest::wait(int timeoutMs) {
    ApiResult r = finish(m_reply, timeoutMs);
    m_reply = nullptr;
    return r;
}

void PendingRequest::abort() {
    if (m_reply)
        m_reply->abort();
}

std::unique_ptr<QProcess> startRegistrator(const QUrl& discovery, const RegistratorSpec& spec) {
    auto p = std::make_unique<QProcess>();
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QStringList args{
        u"--discovery"_s, discovery.toString(), u"--appid"_s, spec.appid,      u"--env"_s,
        spec.env,         u"--zone"_s,          spec.zone,    u"--hostname"_s, spec.hostname};
    for (const QString& addr : spec.addrs)
        args << u"--addr"_s << addr;
    args << u"--renew-interval"_s << spec.renewInterval << u"--version"_s << u"1.0.0"_s << u"--"_s
         << u"sleep"_s << spec.childSeconds;
    p->start(registratorPath(), args);
    p->waitForStarted(10'000);
    return p;
}

} // namespace regscope::testing
