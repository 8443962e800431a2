#pragma once
// A saved way to reach a source, as the connection dialog edits it: a name, the URL, and for
// etcd the TLS files and credentials. A plain value (QtCore only) so views can edit it without
// seeing connectors; the app turns it into a connector and into settings.

#include <QList>
#include <QString>
#include <QStringList>

#include <expected>

namespace regscope {

struct ConnectionProfile {
    enum class Kind { Unknown, Demo, Discovery, Etcd, Process };

    QString name; // unique among saved profiles; empty: the URL names it
    QString url;  // demo[?...], http://host:port, etcd[s]://host:port[,host:port]/prefix

    // etcd only. Any TLS file or a server name turns TLS on even for etcd://.
    QString caFile;         // PEM; empty: system roots
    QString clientCertFile; // PEM; with clientKeyFile for mutual TLS
    QString clientKeyFile;
    QString serverName; // overrides the name checked in the server certificate
    QString user;       // empty: no auth
    QString password;   // held in memory only; saved sealed (see ProfileStore in app/)

    Kind kind() const { return kindOf(url); }
    bool usesTls() const;
    // name, or the URL when unnamed.
    QString displayName() const;

    static Kind kindOf(const QString& url);

    friend bool operator==(const ConnectionProfile&, const ConnectionProfile&) = default;
};

QString toString(ConnectionProfile::Kind kind);

// A named set of sources, opened together: the first in the panels, the others watched. Each
// source is a saved profile's displayName() (its TLS files and sealed password apply) or a
// URL; a workspace holds no secret of its own.
struct Workspace {
    QString name;
    QStringList sources;

    friend bool operator==(const Workspace&, const Workspace&) = default;
};

struct ProfileError {
    enum class Code {
        EmptyUrl,
        BadUrl,               // the URL does not parse for its scheme
        UnsupportedScheme,    // no source kind has this scheme
        MissingFile,          // a TLS file does not exist
        UnreadableFile,       // a TLS file exists but cannot be read (or is a directory)
        IncompleteClientCert, // a client certificate without its key or the other way round
        PasswordWithoutUser,
        SaveFailed,
        LoadFailed,
    };
    Code code;
    QString field; // "url", "caFile", "clientCertFile", "clientKeyFile", "user", ... or empty
    QString message;
};

template <typename T>
using ProfileResult = std::expected<T, ProfileError>;

// Checks the URL's syntax for its scheme (no name resolution, no connection).
ProfileResult<void> validateUrl(const QString& url);
// validateUrl, then for etcd the TLS files (exist, readable regular files: a stat and an
// access check, nothing read) and the credential pairs. The first problem found.
ProfileResult<void> validateProfile(const ConnectionProfile& profile);

} // namespace regscope
