#pragma once
// Registers one key in etcd for as long as a process lives (regscope-registrator --etcd):
// LeaseGrant(ttl), Put(key, value, lease), keep-alive every ttl/3, LeaseRevoke on stop (which
// deletes the key at once). If the lease is lost (member down longer than the TTL), it grants a
// new lease and puts the key again. Plain threads, no event loop needed; gRPC-free header.

#include "connectors/etcd/EtcdOptions.h"

#include <QByteArray>

#include <functional>
#include <memory>

namespace regscope {

struct EtcdRegistrationOptions {
    EtcdOptions connection; // endpoints, TLS, auth (prefix unused)
    QByteArray key;
    QByteArray value;
    qint64 ttlSeconds = 10;
    // Called from the keep-alive thread with every state change worth a log line.
    std::function<void(const QString& message)> log;
};

class EtcdRegistration {
public:
    explicit EtcdRegistration(EtcdRegistrationOptions options);
    ~EtcdRegistration(); // stop()
    EtcdRegistration(const EtcdRegistration&) = delete;
    EtcdRegistration& operator=(const EtcdRegistration&) = delete;

    // Grants the lease and puts the key (blocking, bounded by the call deadlines, trying each
    // endpoint), then starts keep-alives.
    EtcdResult<void> start();
    // Revokes the lease (the key disappears) and joins the keep-alive thread. Idempotent.
    EtcdResult<void> stop();

    // The same work one step at a time, for a caller that runs its own loop (the
    // registrator's RegistrationBackend): each call is bounded by deadlineMs. Do not mix with
    // start()/stop().
    EtcdResult<void> registerStep(int deadlineMs); // grant + put (any endpoint)
    // One keep-alive; LeaseNotFound when the lease is gone (register again).
    EtcdResult<void> renewStep(int deadlineMs);
    EtcdResult<void> cancelStep(int deadlineMs); // revoke: the key goes at once
    // renew at TTL / 3
    qint64 renewIntervalMs() const;

    qint64 leaseId() const;
    // Keep-alives answered so far (for tests and logs).
    qint64 keepAliveCount() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace regscope
