#pragma once
// How to reach an etcd cluster and what to read from it: one options struct, no overloads.

#include "connectors/etcd/EtcdError.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace regscope {

struct EtcdTlsOptions {
    bool enabled = false;
    QString caFile;         // PEM; empty: system roots
    QString clientCertFile; // PEM; with clientKeyFile for mutual TLS
    QString clientKeyFile;
    QString serverName; // overrides the name checked in the server certificate
};

struct EtcdOptions {
    QStringList endpoints; // "host:port", tried in order, moved through on failure
    QByteArray prefix;     // the key prefix shown ("/" or "" for everything)
    QString user;          // empty: no auth
    QString password;      // kept in memory only; see EtcdCredentialStore for saving
    EtcdTlsOptions tls;

    // Keys "<servicePrefix><app>/<instance>" with a JSON value become InstanceRecords
    // (source "etcd"). Empty: no service layout.
    QByteArray servicePrefix;

    int callTimeoutMs = 5000;
    int connectTimeoutMs = 2000;
    int retryBackoffMs = 2000; // wait after every endpoint failed once
    // Range paging. etcd 3.4 scans the whole rest of the range for every page (to fill
    // `count`), so few big pages beat many small ones: the first page has pageSize keys (rows
    // show at once), later ones are sized from the bytes seen so far to about pageTargetBytes,
    // under the reply cap; a page that is still too large is retried at half the size. Pages
    // go to the store in batches of at most 20,000 keys, so their size costs no GUI memory.
    qint64 pageSize = 5000;
    qint64 maxPageSize = 1000000;
    qint64 pageTargetBytes = 12 * 1024 * 1024;
    int maxReplyBytes = 16 * 1024 * 1024; // the client's receive cap; pages stay under it
    int leasePollMs = 1000;               // lease refresher tick
    int leaseRefreshMs = 5000;            // re-ask a lease's TTL at most this often
    int maxLeaseCallsPerTick = 50;
    int clusterPollMs = 2000; // members, status and /metrics; 0: off
};

// Parses "etcd://host:port[,host:port...]/prefix[?services=/svc/prefix/]" ("etcds://" turns
// TLS on; `services` sets the service layout prefix).
EtcdResult<EtcdOptions> parseEtcdUrl(const QString& url);
// The inverse, as the user would type it.
QString toEtcdUrl(const EtcdOptions& options);

// The range_end that makes [prefix, end) cover every key starting with prefix:
// the prefix with its last byte below 0xff incremented; "\0" (everything) for an empty prefix.
QByteArray prefixRangeEnd(const QByteArray& prefix);

} // namespace regscope
