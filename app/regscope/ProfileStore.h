#pragma once
// Saved connection profiles. It lives in app/ because only the composition root may see
// connectors/etcd's settings store, which seals passwords.

#include "models/ConnectionProfile.h"

#include <QSettings>

namespace regscope {

// Connection profiles in QSettings under "connections/profiles/<name>", keyed by
// displayName(). An etcd profile's TLS fields, user and password go through
// EtcdSettingsStore: the password is sealed (libsodium secretbox) under a random key kept in
// its own 0600 file, never written in plain text. Other profiles keep just name and URL.
struct ProfileStore {
    QString secretKeyFile; // empty: EtcdSettingsStore's default beside the settings

    struct Loaded {
        QList<ConnectionProfile> profiles; // in saved order
        // Profiles that could not be read whole (e.g. a password whose key file is gone):
        // they are still listed, without the part that failed.
        QList<ProfileError> problems;
    };

    // Adds or replaces (same displayName()) a profile; it moves to the front of the list.
    ProfileResult<void> save(QSettings& settings, const ConnectionProfile& profile) const;
    Loaded load(QSettings& settings) const;
    // false when no profile has that name.
    bool remove(QSettings& settings, const QString& name) const;

    // Workspaces under "connections/workspaces", in saved order; save replaces the same name
    // and moves it to the front.
    ProfileResult<void> saveWorkspace(QSettings& settings, const Workspace& workspace) const;
    QList<Workspace> loadWorkspaces(QSettings& settings) const;
    bool removeWorkspace(QSettings& settings, const QString& name) const;

    static constexpr int kMaxProfiles = 50;
};

} // namespace regscope
