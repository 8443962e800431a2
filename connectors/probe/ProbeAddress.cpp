#include "connectors/probe/ProbeAddress.h"

#include <QUrl>

using namespace Qt::StringLiterals;

namespace regscope {

QString ProbeAddress::authority() const {
    const QString h = host.contains(u':') ? u'[' + host + u']' : host;
    return h + u':' + QString::number(port);
}

std::expected<ProbeAddress, QString> parseProbeAddress(const QString& addr) {
    const QString text = addr.trimmed();
    if (text.isEmpty())
        return std::unexpected(u"empty address"_s);
    if (!text.contains(u"://"_s))
        return std::unexpected(u"no scheme (expected scheme://host:port)"_s);
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return std::unexpected(u"not a URL: %1"_s.arg(url.errorString()));
    ProbeAddress a;
    a.scheme = url.scheme().toLower();
    a.host = url.host();
    if (a.scheme.isEmpty())
        return std::unexpected(u"no scheme (expected scheme://host:port)"_s);
    if (a.host.isEmpty())
        return std::unexpected(u"no host"_s);
    int defaultPort = -1;
    if (a.scheme == u"http"_s) {
        a.kind = ProbeAddress::Kind::Http;
        defaultPort = 80;
    } else if (a.scheme == u"https"_s) {
        a.kind = ProbeAddress::Kind::Https;
        defaultPort = 443;
    } else if (a.scheme == u"grpc"_s) {
        a.kind = ProbeAddress::Kind::Grpc;
    }
    const int port = url.port(defaultPort);
    if (port <= 0 || port > 65535)
        return std::unexpected(port == -1 ? u"no port"_s : u"port %1 out of range"_s.arg(port));
    a.port = quint16(port);
    return a;
}

} // namespace regscope
