#include "models/ConnectionProfile.h"

#include <QFileInfo>
#include <QUrl>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

std::unexpected<ProfileError> fail(ProfileError::Code code, const QString& field,
                                   const QString& message) {
    return std::unexpected(ProfileError{code, field, message});
}

bool validPort(QStringView text) {
    bool ok = false;
    const uint port = text.toUInt(&ok);
    return ok && port > 0 && port <= 65535;
}

// "host:port[,host:port...]" as etcd's URL carries it; IPv6 hosts in brackets.
ProfileResult<void> validateEndpoints(const QString& url, QStringView endpoints) {
    if (endpoints.isEmpty())
        return fail(
            ProfileError::Code::BadUrl, u"url"_s,
            u"'%1' names no endpoint (expected etcd://host:port[,host:port]/prefix)"_s.arg(url));
    for (const QStringView endpoint : endpoints.tokenize(u',')) {
        const qsizetype colon = endpoint.lastIndexOf(u':');
        const QStringView host = colon > 0 ? endpoint.first(colon) : QStringView();
        if (host.isEmpty() || host.contains(u' ') || !validPort(endpoint.sliced(colon + 1)))
            return fail(ProfileError::Code::BadUrl, u"url"_s,
                        u"'%1' is not host:port (a port from 1 to 65535) in %2"_s.arg(
                            endpoint.toString(), url));
    }
    return {};
}

ProfileResult<void> checkFile(const QString& path, const QString& field, const QString& what) {
    if (path.isEmpty())
        return {};
    const QFileInfo info(path);
    if (!info.exists())
        return fail(ProfileError::Code::MissingFile, field,
                    u"%1 %2 does not exist"_s.arg(what, path));
    if (!info.isFile() || !info.isReadable())
        return fail(ProfileError::Code::UnreadableFile, field,
                    u"%1 %2 is not a readable file"_s.arg(what, path));
    return {};
}

} // namespace

bool ConnectionProfile::usesTls() const {
    return url.trimmed().startsWith(u"etcds://") || !caFile.isEmpty() ||
           !clientCertFile.isEmpty() || !clientKeyFile.isEmpty() || !serverName.isEmpty();
}

QString ConnectionProfile::displayName() const {
    return name.trimmed().isEmpty() ? url.trimmed() : name.trimmed();
}

ConnectionProfile::Kind ConnectionProfile::kindOf(const QString& url) {
    const QString u = url.trimmed();
    if (u == u"demo" || u.startsWith(u"demo?"))
        return Kind::Demo;
    if (u.startsWith(u"http://") || u.startsWith(u"https://"))
        return Kind::Discovery;
    if (u.startsWith(u"etcd://") || u.startsWith(u"etcds://"))
        return Kind::Etcd;
    if (u.startsWith(u"pid://") || u.startsWith(u"unix://"))
        return Kind::Process;
    return Kind::Unknown;
}

QString toString(ConnectionProfile::Kind kind) {
    switch (kind) {
    case ConnectionProfile::Kind::Demo:
        return u"demo (in-process registry)"_s;
    case ConnectionProfile::Kind::Discovery:
        return u"discovery server (HTTP)"_s;
    case ConnectionProfile::Kind::Etcd:
        return u"etcd v3 (gRPC)"_s;
    case ConnectionProfile::Kind::Process:
        return u"attached process (debug endpoint)"_s;
    case ConnectionProfile::Kind::Unknown:
        break;
    }
    return u"unknown"_s;
}

ProfileResult<void> validateUrl(const QString& input) {
    const QString url = input.trimmed();
    if (url.isEmpty())
        return fail(ProfileError::Code::EmptyUrl, u"url"_s, u"enter a source URL"_s);
    switch (ConnectionProfile::kindOf(url)) {
    case ConnectionProfile::Kind::Demo: {
        const QUrl parsed(u"demo:"_s + url.sliced(4), QUrl::StrictMode);
        if (!parsed.isValid())
            return fail(ProfileError::Code::BadUrl, u"url"_s,
                        u"'%1' does not parse: %2"_s.arg(url, parsed.errorString()));
        return {};
    }
    case ConnectionProfile::Kind::Discovery: {
        const QUrl parsed(url, QUrl::StrictMode);
        if (!parsed.isValid() || parsed.host().isEmpty())
            return fail(ProfileError::Code::BadUrl, u"url"_s,
                        u"'%1' is not http://host:port"_s.arg(url));
        return {};
    }
    case ConnectionProfile::Kind::Etcd: {
        // The endpoints run to the prefix's '/' or the query's '?', whichever comes first.
        QStringView endpoints = QStringView(url).sliced(url.indexOf(u"://") + 3);
        for (const QChar stop : {u'/', u'?'}) {
            if (const qsizetype at = endpoints.indexOf(stop); at >= 0)
                endpoints = endpoints.first(at);
        }
        return validateEndpoints(url, endpoints);
    }
    case ConnectionProfile::Kind::Process: {
        const QString target = url.sliced(url.indexOf(u"://") + 3).section(u'?', 0, 0);
        bool numeric = false;
        if (url.startsWith(u"pid://") ? (target.toLongLong(&numeric) <= 0 || !numeric)
                                      : !target.startsWith(u'/'))
            return fail(ProfileError::Code::BadUrl, u"url"_s,
                        u"'%1' is not pid://PID or unix:///path/to.sock"_s.arg(url));
        return {};
    }
    case ConnectionProfile::Kind::Unknown:
        break;
    }
    const qsizetype scheme = url.indexOf(u"://");
    return fail(ProfileError::Code::UnsupportedScheme, u"url"_s,
                scheme > 0 ? u"the scheme %1:// is not a source regscope knows (use demo, "
                             u"http:// or etcd://)"_s.arg(url.first(scheme))
                           : u"'%1' is not a source URL (use demo, http://host:port or "
                             u"etcd://host:port/prefix)"_s.arg(url));
}

ProfileResult<void> validateProfile(const ConnectionProfile& p) {
    if (auto url = validateUrl(p.url); !url)
        return url;
    if (p.kind() != ConnectionProfile::Kind::Etcd)
        return {};
    if (auto r = checkFile(p.caFile, u"caFile"_s, u"The CA file"_s); !r)
        return r;
    if (auto r = checkFile(p.clientCertFile, u"clientCertFile"_s, u"The client certificate"_s); !r)
        return r;
    if (auto r = checkFile(p.clientKeyFile, u"clientKeyFile"_s, u"The client key"_s); !r)
        return r;
    if (p.clientCertFile.isEmpty() != p.clientKeyFile.isEmpty())
        return fail(ProfileError::Code::IncompleteClientCert,
                    p.clientCertFile.isEmpty() ? u"clientCertFile"_s : u"clientKeyFile"_s,
                    u"a client certificate needs its key, and a key its certificate"_s);
    if (p.user.trimmed().isEmpty() && !p.password.isEmpty())
        return fail(ProfileError::Code::PasswordWithoutUser, u"user"_s,
                    u"a password was given without a user name"_s);
    return {};
}

} // namespace regscope
