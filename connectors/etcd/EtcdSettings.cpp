#include "connectors/etcd/EtcdSettings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <sodium.h>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

EtcdError fail(const QString& m) {
    return EtcdError{EtcdError::Code::Internal, m};
}

QString keyPath(const EtcdSettingsStore& s) {
    if (!s.keyFile.isEmpty())
        return s.keyFile;
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) +
           u"/etcd-secret.key"_s;
}

EtcdResult<QByteArray> secretKey(const QString& path, bool create) {
    QFile f(path);
    if (f.open(QIODevice::ReadOnly)) {
        const QByteArray key = f.readAll();
        if (key.size() != crypto_secretbox_KEYBYTES)
            return std::unexpected(fail(u"secret key file "_s + path + u" is damaged"_s));
        return key;
    }
    if (!create)
        return std::unexpected(fail(u"no secret key file "_s + path));
    QDir().mkpath(QFileInfo(path).absolutePath());
    QByteArray key(crypto_secretbox_KEYBYTES, '\0');
    crypto_secretbox_keygen(reinterpret_cast<unsigned char*>(key.data()));
    // Created with owner-only permissions before the key is written.
    if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly) ||
        !f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
        f.write(key) != key.size())
        return std::unexpected(fail(u"cannot write "_s + path + u": "_s + f.errorString()));
    return key;
}

} // namespace

EtcdResult<void> EtcdSettingsStore::save(QSettings& settings, const QString& group,
                                         const EtcdOptions& o) const {
    if (sodium_init() < 0)
        return std::unexpected(fail(u"libsodium failed to initialise"_s));
    QByteArray sealed;
    if (!o.password.isEmpty()) {
        auto key = secretKey(keyPath(*this), true);
        if (!key)
            return std::unexpected(key.error());
        const QByteArray plain = o.password.toUtf8();
        sealed.resize(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size());
        auto* out = reinterpret_cast<unsigned char*>(sealed.data());
        randombytes_buf(out, crypto_secretbox_NONCEBYTES);
        crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
                              reinterpret_cast<const unsigned char*>(plain.constData()),
                              static_cast<unsigned long long>(plain.size()), out,
                              reinterpret_cast<const unsigned char*>(key->constData()));
    }
    settings.beginGroup(group);
    settings.setValue(u"url"_s, toEtcdUrl(o));
    settings.setValue(u"user"_s, o.user);
    settings.setValue(u"passwordSealed"_s, QString::fromLatin1(sealed.toBase64()));
    settings.setValue(u"tls/enabled"_s, o.tls.enabled);
    settings.setValue(u"tls/caFile"_s, o.tls.caFile);
    settings.setValue(u"tls/clientCertFile"_s, o.tls.clientCertFile);
    settings.setValue(u"tls/clientKeyFile"_s, o.tls.clientKeyFile);
    settings.setValue(u"tls/serverName"_s, o.tls.serverName);
    settings.setValue(u"servicePrefix"_s, QString::fromUtf8(o.servicePrefix));
    settings.endGroup();
    return {};
}

EtcdResult<EtcdOptions> EtcdSettingsStore::load(QSettings& settings, const QString& group) const {
    if (sodium_init() < 0)
        return std::unexpected(fail(u"libsodium failed to initialise"_s));
    settings.beginGroup(group);
    auto parsed = parseEtcdUrl(settings.value(u"url"_s).toString());
    if (!parsed) {
        settings.endGroup();
        return parsed;
    }
    EtcdOptions o = std::move(*parsed);
    o.user = settings.value(u"user"_s).toString();
    o.tls.enabled = settings.value(u"tls/enabled"_s, o.tls.enabled).toBool();
    o.tls.caFile = settings.value(u"tls/caFile"_s).toString();
    o.tls.clientCertFile = settings.value(u"tls/clientCertFile"_s).toString();
    o.tls.clientKeyFile = settings.value(u"tls/clientKeyFile"_s).toString();
    o.tls.serverName = settings.value(u"tls/serverName"_s).toString();
    o.servicePrefix = settings.value(u"servicePrefix"_s).toString().toUtf8();
    const QByteArray sealed =
        QByteArray::fromBase64(settings.value(u"passwordSealed"_s).toString().toLatin1());
    settings.endGroup();
    if (sealed.isEmpty())
        return o;
    if (sealed.size() <
        static_cast<qsizetype>(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES))
        return std::unexpected(fail(u"saved password is damaged"_s));
    auto key = secretKey(keyPath(*this), false);
    if (!key)
        return std::unexpected(key.error());
    QByteArray plain(sealed.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
    const auto* in = reinterpret_cast<const unsigned char*>(sealed.constData());
    if (crypto_secretbox_open_easy(
            reinterpret_cast<unsigned char*>(plain.data()), in + crypto_secretbox_NONCEBYTES,
            static_cast<unsigned long long>(sealed.size()) - crypto_secretbox_NONCEBYTES, in,
            reinterpret_cast<const unsigned char*>(key->constData())) != 0)
        return std::unexpected(fail(u"saved password cannot be opened with this key file"_s));
    o.password = QString::fromUtf8(plain);
    return o;
}

} // namespace regscope
