#include "connectors/probe/SocketProbe.h"

#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

constexpr qsizetype kMaxStatusLine = 4096;

class SocketProbe : public QObject {
public:
    SocketProbe(QObject* parent, const ProbeAddress& a, const QString& path, int timeoutMs,
                ProbeDone done)
        : QObject(parent)
        , m_address(a)
        , m_path(path.startsWith(u'/') ? path : u'/' + path)
        , m_done(std::move(done)) {
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::PreciseTimer);
        connect(&m_timer, &QTimer::timeout, this, [this, timeoutMs] {
            finish(ProbeState::Timeout, m_connected
                                            ? u"connected, no answer within %1 ms"_s.arg(timeoutMs)
                                            : u"no connection within %1 ms"_s.arg(timeoutMs));
        });
        m_timer.start(timeoutMs);
        const bool tls = a.kind == ProbeAddress::Kind::Https && QSslSocket::supportsSsl();
        m_tlsMissing = a.kind == ProbeAddress::Kind::Https && !tls;
        m_socket = tls ? new QSslSocket(this) : new QTcpSocket(this);
        connect(m_socket, &QAbstractSocket::errorOccurred, this, &SocketProbe::onError);
        connect(m_socket, &QIODevice::readyRead, this, &SocketProbe::onReadyRead);
        if (tls) {
            auto* ssl = static_cast<QSslSocket*>(m_socket);
            // Reachability, not trust: a self-signed health endpoint is still up. What the
            // certificate check said goes into the detail.
            ssl->setPeerVerifyMode(QSslSocket::QueryPeer);
            connect(ssl, &QSslSocket::sslErrors, this, [this, ssl](const QList<QSslError>& es) {
                if (!es.isEmpty())
                    m_tlsNote = u" (certificate: %1)"_s.arg(es.front().errorString());
                ssl->ignoreSslErrors();
            });
            connect(ssl, &QSslSocket::encrypted, this, &SocketProbe::onConnected);
            ssl->connectToHostEncrypted(a.host, a.port);
        } else {
            connect(m_socket, &QAbstractSocket::connected, this, &SocketProbe::onConnected);
            m_socket->connectToHost(a.host, a.port);
        }
    }

private:
    bool speaksHttp() const {
        return !m_tlsMissing && (m_address.kind == ProbeAddress::Kind::Http ||
                                 m_address.kind == ProbeAddress::Kind::Https);
    }

    void onConnected() {
        m_connected = true;
        if (!speaksHttp()) {
            finish(ProbeState::Up, m_tlsMissing ? u"connected (TCP only: this build has no TLS)"_s
                                                : u"connected"_s);
            return;
        }
        const QByteArray request = "GET " + m_path.toUtf8() +
                                   " HTTP/1.1\r\nHost: " + m_address.authority().toUtf8() +
                                   "\r\nUser-Agent: regscope-probe\r\nAccept: */*\r\n"
                                   "Connection: close\r\n\r\n";
        m_socket->write(request);
    }

    void onReadyRead() {
        m_buffer += m_socket->read(kMaxStatusLine - m_buffer.size());
        const qsizetype eol = m_buffer.indexOf("\r\n");
        if (eol < 0) {
            if (m_buffer.size() >= kMaxStatusLine)
                finish(ProbeState::Unhealthy, u"not HTTP: no status line in 4 KiB"_s);
            return;
        }
        QString detail;
        const ProbeState s = httpVerdict(m_buffer.left(eol), &detail);
        finish(s, detail + m_tlsNote);
    }

    void onError(QAbstractSocket::SocketError error) {
        if (m_connected) {
            // It took the connection, then closed or broke it before a status line.
            finish(ProbeState::Unhealthy, error == QAbstractSocket::RemoteHostClosedError
                                              ? u"closed the connection without an answer"_s
                                              : m_socket->errorString());
            return;
        }
        switch (error) {
        case QAbstractSocket::ConnectionRefusedError:
            finish(ProbeState::Refused, u"connection refused"_s);
            return;
        case QAbstractSocket::SslHandshakeFailedError:
        case QAbstractSocket::SslInternalError:
        case QAbstractSocket::SslInvalidUserDataError:
            finish(ProbeState::Unhealthy,
                   u"TLS handshake failed: %1"_s.arg(m_socket->errorString()));
            return;
        case QAbstractSocket::RemoteHostClosedError:
            finish(ProbeState::Unhealthy, u"closed the connection during the handshake"_s);
            return;
        default:
            finish(ProbeState::Refused, m_socket->errorString());
            return;
        }
    }

    void finish(ProbeState state, const QString& detail) {
        if (m_finished)
            return;
        m_finished = true;
        m_timer.stop();
        m_socket->disconnect(this);
        m_socket->abort();
        ProbeDone done = std::move(m_done);
        deleteLater();
        done(state, detail);
    }

    ProbeAddress m_address;
    QString m_path;
    ProbeDone m_done;
    QAbstractSocket* m_socket = nullptr;
    QTimer m_timer;
    QByteArray m_buffer;
    QString m_tlsNote;
    bool m_connected = false;
    bool m_finished = false;
    bool m_tlsMissing = false;
};

} // namespace

ProbeState httpVerdict(const QByteArray& statusLine, QString* detail) {
    // "HTTP/1.1 200 OK": a version, a three-digit code, an optional reason.
    const QList<QByteArray> parts = statusLine.trimmed().split(' ');
    bool ok = false;
    const int code = parts.size() >= 2 ? parts[1].toInt(&ok) : 0;
    if (!statusLine.startsWith("HTTP/") || !ok || code < 100 || code > 999) {
        *detail = u"not HTTP: %1"_s.arg(QString::fromLatin1(statusLine.left(80)));
        return ProbeState::Unhealthy;
    }
    *detail = u"HTTP "_s + QString::fromLatin1(statusLine.mid(statusLine.indexOf(' ') + 1));
    return code < 500 ? ProbeState::Up : ProbeState::Unhealthy;
}

void startSocketProbe(QObject* parent, const ProbeAddress& address, const QString& httpPath,
                      int timeoutMs, ProbeDone done) {
    new SocketProbe(parent, address, httpPath, timeoutMs, std::move(done));
}

} // namespace regscope
