#include "connectors/etcd/EtcdOptions.h"

using namespace Qt::StringLiterals;

namespace regscope {

EtcdResult<EtcdOptions> parseEtcdUrl(const QString& url) {
    EtcdOptions options;
    QStringView rest(url);
    if (rest.startsWith(u"etcds://")) {
        options.tls.enabled = true;
        rest = rest.mid(8);
    } else if (rest.startsWith(u"etcd://")) {
        rest = rest.mid(7);
    } else {
        return std::unexpected(EtcdError{EtcdError::Code::InvalidArgument,
                                         u"not an etcd URL (etcd://host:port/prefix): "_s + url});
    }
    if (const qsizetype q = rest.indexOf(u'?'); q >= 0) {
        for (const QStringView item : rest.mid(q + 1).split(u'&', Qt::SkipEmptyParts)) {
            if (item.startsWith(u"services="))
                options.servicePrefix = item.mid(9).toUtf8();
            else
                return std::unexpected(
                    EtcdError{EtcdError::Code::InvalidArgument,
                              u"unknown etcd URL option \""_s + item.toString() + u'"'});
        }
        rest = rest.left(q);
    }
    const qsizetype slash = rest.indexOf(u'/');
    const QStringView hosts = slash < 0 ? rest : rest.left(slash);
    options.prefix = slash < 0 ? QByteArray() : rest.mid(slash).toUtf8();
    if (options.prefix == "/")
        options.prefix.clear();
    for (const QStringView host : hosts.split(u',', Qt::SkipEmptyParts)) {
        const qsizetype colon = host.lastIndexOf(u':');
        bool ok = false;
        const int port = colon < 0 ? 0 : host.mid(colon + 1).toInt(&ok);
        if (colon <= 0 || !ok || port <= 0 || port > 65535)
            return std::unexpected(
                EtcdError{EtcdError::Code::InvalidArgument,
                          u"endpoint needs host:port, got \""_s + host.toString() + u'"'});
        options.endpoints.append(host.toString());
    }
    if (options.endpoints.isEmpty())
        return std::unexpected(
            EtcdError{EtcdError::Code::InvalidArgument, u"no endpoint in "_s + url});
    return options;
}

QString toEtcdUrl(const EtcdOptions& options) {
    QString url = options.tls.enabled ? u"etcds://"_s : u"etcd://"_s;
    url += options.endpoints.join(u',');
    if (!options.prefix.startsWith('/'))
        url += u'/';
    url += QString::fromUtf8(options.prefix);
    if (!options.servicePrefix.isEmpty())
        url += u"?services="_s + QString::fromUtf8(options.servicePrefix);
    return url;
}

QByteArray prefixRangeEnd(const QByteArray& prefix) {
    QByteArray end = prefix;
    while (!end.isEmpty()) {
        const auto last = static_cast<unsigned char>(end.back());
        if (last < 0xff) {
            end.back() = static_cast<char>(last + 1);
            return end;
        }
        end.chop(1);
    }
    return QByteArray(1, '\0');
}

} // namespace regscope
