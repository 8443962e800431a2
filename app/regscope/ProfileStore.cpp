#include "app/regscope/ProfileStore.h"

#include "app/regscope/ConnectorFactory.h"

#ifdef REGSCOPE_HAVE_ETCD
#include "connectors/etcd/EtcdSettings.h"
#endif

#include <QUrl>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

const auto kProfilesGroup = u"connections/profiles"_s;
const auto kOrderKey = u"connections/profileOrder"_s;

// A name as one settings group: '/' and '\\' would nest groups, so names are percent-encoded.
QString groupOf(const QString& name) {
    return kProfilesGroup + u'/' + QString::fromLatin1(QUrl::toPercentEncoding(name));
}

ProfileError saveFailed(const ConnectionProfile& p, const QString& why) {
    return ProfileError{ProfileError::Code::SaveFailed,
                        {},
                        u"cannot save the profile '%1': %2"_s.arg(p.displayName(), why)};
}

} // namespace

ProfileResult<void> ProfileStore::save(QSettings& settings, const ConnectionProfile& p) const {
    const QString name = p.displayName();
    if (name.isEmpty())
        return std::unexpected(saveFailed(p, u"it has no URL"_s));
    const QString group = groupOf(name);
    settings.remove(group); // no stale fields from an older kind of the same name
    settings.beginGroup(group);
    settings.setValue(u"name"_s, p.name.trimmed()); // empty: unnamed, keyed by its URL
    settings.setValue(u"url"_s, p.url.trimmed());
    settings.endGroup();
    if (p.kind() == ConnectionProfile::Kind::Etcd) {
#ifdef REGSCOPE_HAVE_ETCD
        auto options = etcdOptionsOf(p);
        if (!options) {
            settings.remove(group);
            return std::unexpected(saveFailed(p, options.error().message));
        }
        const EtcdSettingsStore secrets{.keyFile = secretKeyFile};
        if (auto saved = secrets.save(settings, group + u"/etcd"_s, *options); !saved) {
            settings.remove(group);
            return std::unexpected(saveFailed(p, saved.error().message));
        }
#else
        // No sealing without the etcd room: never fall back to plain text.
        if (!p.password.isEmpty()) {
            settings.remove(group);
            return std::unexpected(
                saveFailed(p, u"this build has no etcd support to seal the password"_s));
        }
#endif
    }
    QStringList order = settings.value(kOrderKey).toStringList();
    order.removeAll(name);
    order.prepend(name);
    while (order.size() > kMaxProfiles)
        settings.remove(groupOf(order.takeLast()));
    settings.setValue(kOrderKey, order);
    settings.sync();
    if (settings.status() != QSettings::NoError)
        return std::unexpected(saveFailed(p, u"the settings file cannot be written"_s));
    return {};
}

ProfileStore::Loaded ProfileStore::load(QSettings& settings) const {
    Loaded out;
    for (const QString& name : settings.value(kOrderKey).toStringList()) {
        const QString group = groupOf(name);
        ConnectionProfile p;
        p.name = settings.value(group + u"/name"_s).toString();
        p.url = settings.value(group + u"/url"_s).toString();
        if (p.url.isEmpty())
            continue; // listed but gone (removed by hand): nothing to show
#ifdef REGSCOPE_HAVE_ETCD
        if (p.kind() == ConnectionProfile::Kind::Etcd) {
            const EtcdSettingsStore secrets{.keyFile = secretKeyFile};
            auto options = secrets.load(settings, group + u"/etcd"_s);
            if (options) {
                p.caFile = options->tls.caFile;
                p.clientCertFile = options->tls.clientCertFile;
                p.clientKeyFile = options->tls.clientKeyFile;
                p.serverName = options->tls.serverName;
                p.user = options->user;
                p.password = options->password;
            } else {
                out.problems.append(
                    ProfileError{ProfileError::Code::LoadFailed,
                                 {},
                                 u"profile '%1': %2"_s.arg(name, options.error().message)});
            }
        }
#endif
        out.profiles.append(std::move(p));
    }
    return out;
}

bool ProfileStore::remove(QSettings& settings, const QString& name) const {
    QStringList order = settings.value(kOrderKey).toStringList();
    if (order.removeAll(name) == 0)
        return false;
    settings.remove(groupOf(name));
    settings.setValue(kOrderKey, order);
    settings.sync();
    return true;
}

namespace {
constexpr auto kWorkspacesKey = "connections/workspaces";

void writeWorkspaces(QSettings& settings, const QList<Workspace>& list) {
    settings.remove(QString::fromLatin1(kWorkspacesKey));
    settings.beginWriteArray(QString::fromLatin1(kWorkspacesKey), int(list.size()));
    for (int i = 0; i < int(list.size()); ++i) {
        settings.setArrayIndex(i);
        settings.setValue(u"name"_s, list[i].name);
        settings.setValue(u"sources"_s, list[i].sources);
    }
    settings.endArray();
    settings.sync();
}
} // namespace

ProfileResult<void> ProfileStore::saveWorkspace(QSettings& settings,
                                                const Workspace& workspace) const {
    Workspace w{workspace.name.trimmed(), {}};
    for (const QString& source : workspace.sources)
        if (!source.trimmed().isEmpty())
            w.sources.append(source.trimmed());
    if (w.name.isEmpty() || w.sources.isEmpty())
        return std::unexpected(ProfileError{ProfileError::Code::EmptyUrl, u"name"_s,
                                            u"a workspace needs a name and at least one source"_s});
    QList<Workspace> list = loadWorkspaces(settings);
    list.removeIf([&w](const Workspace& o) { return o.name == w.name; });
    list.prepend(w);
    while (list.size() > kMaxProfiles)
        list.removeLast();
    writeWorkspaces(settings, list);
    if (settings.status() != QSettings::NoError)
        return std::unexpected(
            ProfileError{ProfileError::Code::SaveFailed,
                         {},
                         u"cannot write the settings file %1"_s.arg(settings.fileName())});
    return {};
}

QList<Workspace> ProfileStore::loadWorkspaces(QSettings& settings) const {
    QList<Workspace> list;
    const int n = settings.beginReadArray(QString::fromLatin1(kWorkspacesKey));
    for (int i = 0; i < n; ++i) {
        settings.setArrayIndex(i);
        Workspace w{settings.value(u"name"_s).toString(),
                    settings.value(u"sources"_s).toStringList()};
        if (!w.name.isEmpty() && !w.sources.isEmpty())
            list.append(w);
    }
    settings.endArray();
    return list;
}

bool ProfileStore::removeWorkspace(QSettings& settings, const QString& name) const {
    QList<Workspace> list = loadWorkspaces(settings);
    if (list.removeIf([&name](const Workspace& o) { return o.name == name; }) == 0)
        return false;
    writeWorkspaces(settings, list);
    return true;
}

} // namespace regscope
