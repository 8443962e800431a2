#include "app/regscope/ConnectorFactory.h"

#include "connectors/attach/AttachConnector.h"
#include "connectors/inprocess/DemoConnector.h"
#include "connectors/snapshot/SnapshotConnector.h"
#ifdef REGSCOPE_HAVE_DISCOVERY
#include "connectors/discovery/DiscoveryConnector.h"
#endif
#ifdef REGSCOPE_HAVE_ETCD
#include "connectors/etcd/EtcdConnector.h"
#include "connectors/etcd/EtcdSettings.h"
#endif

#include <QFileInfo>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace regscope {

#ifdef REGSCOPE_HAVE_ETCD
EtcdResult<EtcdOptions> etcdOptionsOf(const ConnectionProfile& profile) {
    auto options = parseEtcdUrl(profile.url.trimmed());
    if (!options)
        return options;
    options->tls.enabled = options->tls.enabled || profile.usesTls();
    options->tls.caFile = profile.caFile;
    options->tls.clientCertFile = profile.clientCertFile;
    options->tls.clientKeyFile = profile.clientKeyFile;
    options->tls.serverName = profile.serverName;
    options->user = profile.user;
    options->password = profile.password;
    return options;
}
#endif

namespace {
std::unexpected<SourceError> sourceError(SourceError::Code code, QString message) {
    return std::unexpected(SourceError{code, std::move(message)});
}
} // namespace

ConnectorResult makeConnector(const QString& url) {
    const QString trimmed = url.trimmed();
    if (trimmed == u"demo" || trimmed.startsWith(u"demo?")) {
        DemoRegistry::Options demo;
        QString why;
        if (!DemoRegistry::parseUrl(trimmed, &demo, &why))
            return sourceError(SourceError::Code::BadOptions, why);
        return std::make_unique<DemoConnector>(trimmed, demo, InProcessConnector::Options{});
    }
    if (AttachConnector::accepts(trimmed)) {
        auto options = AttachConnector::parseUrl(trimmed);
        if (!options)
            return sourceError(SourceError::Code::BadUrl, options.error());
        return std::make_unique<AttachConnector>(std::move(*options));
    }
    if (SnapshotConnector::accepts(trimmed)) {
        auto path = SnapshotConnector::pathOf(trimmed);
        if (!path)
            return sourceError(SourceError::Code::BadUrl, path.error());
        // A missing file is refused at once (the attached source stays); the rest of what can
        // be wrong with it is found while it is read, off the GUI thread.
        if (!QFileInfo(*path).isFile())
            return sourceError(SourceError::Code::BadUrl,
                               u"no snapshot file at %1 (from '%2')"_s.arg(*path, trimmed));
        return std::make_unique<SnapshotConnector>(trimmed, *path);
    }
#ifdef REGSCOPE_HAVE_DISCOVERY
    if (trimmed.startsWith(u"http://") || trimmed.startsWith(u"https://")) {
        const QUrl parsed(trimmed, QUrl::StrictMode);
        if (!parsed.isValid() || parsed.host().isEmpty() || !DiscoveryConnector::accepts(parsed))
            return sourceError(
                SourceError::Code::BadUrl,
                u"not a discovery server URL: '%1' (expected http://host:port)"_s.arg(trimmed));
        return std::make_unique<DiscoveryConnector>(parsed);
    }
#endif
#ifdef REGSCOPE_HAVE_ETCD
    if (trimmed.startsWith(u"etcd://") || trimmed.startsWith(u"etcds://")) {
        auto etcd = EtcdConnector::fromUrl(trimmed);
        if (!etcd)
            return sourceError(SourceError::Code::BadUrl, etcd.error().message);
        return std::unique_ptr<Connector>(std::move(*etcd));
    }
#endif
    const qsizetype colon = trimmed.indexOf(u"://");
    if (colon > 0)
        return sourceError(
            SourceError::Code::UnsupportedScheme,
            u"unsupported source '%1': the scheme %2:// is not supported (expected demo, "
            u"http://host:port, etcd://host:port[,host:port]/prefix, pid://PID, unix:///path or file:///snapshot.json)"_s
                .arg(trimmed, trimmed.first(colon)));
    return sourceError(SourceError::Code::UnsupportedScheme,
                       u"unsupported source '%1': expected demo, http://host:port, "
                       u"etcd://host:port[,host:port]/prefix, pid://PID, unix:///path or "
                       u"file:///snapshot.json"_s.arg(trimmed));
}

ConnectorResult makeConnector(const ConnectionProfile& profile) {
    if (profile.kind() != ConnectionProfile::Kind::Etcd)
        return makeConnector(profile.url);
#ifdef REGSCOPE_HAVE_ETCD
    auto options = etcdOptionsOf(profile);
    if (!options)
        return sourceError(SourceError::Code::BadOptions, options.error().message);
    return std::make_unique<EtcdConnector>(std::move(*options));
#else
    return makeConnector(profile.url);
#endif
}

} // namespace regscope
