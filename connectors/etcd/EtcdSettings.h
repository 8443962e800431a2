#pragma once
// Saves and loads etcd connection settings (endpoints, prefix, TLS files, user, service
// layout) in QSettings. The password is never written in plain text: it is sealed with
// libsodium's crypto_secretbox (XSalsa20-Poly1305) under a random 32-byte key kept in its own
// file, created 0600 next to the settings (<config>/regscope/etcd-secret.key). Copying or
// showing the settings file does not reveal the password; someone who can read the user's
// key file can. (No desktop keyring is available on a plain Debian box to do better.)

#include "connectors/etcd/EtcdOptions.h"

#include <QSettings>

namespace regscope {

struct EtcdSettingsStore {
    QString keyFile; // empty: <QStandardPaths::AppConfigLocation>/etcd-secret.key

    EtcdResult<void> save(QSettings& settings, const QString& group,
                          const EtcdOptions& options) const;
    EtcdResult<EtcdOptions> load(QSettings& settings, const QString& group) const;
};

} // namespace regscope
