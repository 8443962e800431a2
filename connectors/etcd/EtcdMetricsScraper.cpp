#include "connectors/etcd/EtcdMetricsScraper.h"

#include <QDeadlineTimer>
#include <QTcpSocket>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace regscope {

EtcdResult<QByteArray> fetchEtcdMetrics(const QString& clientUrl, int timeoutMs) {
    const QUrl url(clientUrl);
    if (url.scheme() != u"http"_s)
        return std::unexpected(EtcdError{EtcdError::Code::InvalidArgument,
                                         u"metrics are only scraped over http: "_s + clientUrl});
    QDeadlineTimer deadline(timeoutMs);
    QTcpSocket socket;
    socket.connectToHost(url.host(), static_cast<quint16>(url.port(2379)));
    if (!socket.waitForConnected(static_cast<int>(deadline.remainingTime())))
        return std::unexpected(EtcdError{EtcdError::Code::Unavailable,
                                         clientUrl + u"/metrics: "_s + socket.errorString()});
    const QByteArray request = "GET /metrics HTTP/1.1\r\nHost: " + url.host().toUtf8() +
                               "\r\nConnection: close\r\nAccept-Encoding: identity\r\n\r\n";
    socket.write(request);
    QByteArray reply;
    while (socket.state() == QAbstractSocket::ConnectedState || socket.bytesAvailable() > 0) {
        if (deadline.hasExpired())
            return std::unexpected(EtcdError{EtcdError::Code::DeadlineExceeded,
                                             clientUrl + u"/metrics did not answer in time"_s});
        if (socket.bytesAvailable() == 0 &&
            !socket.waitForReadyRead(static_cast<int>(deadline.remainingTime())))
            break;
        reply += socket.readAll();
        if (reply.size() > 16 * 1024 * 1024)
            return std::unexpected(
                EtcdError{EtcdError::Code::TooLarge, clientUrl + u"/metrics is too large"_s});
    }
    const qsizetype headerEnd = reply.indexOf("\r\n\r\n");
    if (headerEnd < 0 || !reply.startsWith("HTTP/1.1 200"))
        return std::unexpected(
            EtcdError{EtcdError::Code::Internal, clientUrl + u"/metrics: bad reply"_s});
    QByteArray body = reply.mid(headerEnd + 4);
    if (reply.left(headerEnd).toLower().contains("transfer-encoding: chunked")) {
        QByteArray plain;
        qsizetype pos = 0;
        while (pos < body.size()) {
            const qsizetype eol = body.indexOf("\r\n", pos);
            if (eol < 0)
                break;
            bool ok = false;
            const qsizetype len = body.mid(pos, eol - pos).trimmed().toLongLong(&ok, 16);
            if (!ok || len == 0)
                break;
            plain += body.mid(eol + 2, len);
            pos = eol + 2 + len + 2;
        }
        body = plain;
    }
    return body;
}

} // namespace regscope
