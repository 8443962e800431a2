#include "connectors/etcd/EtcdRegistration.h"

#include "connectors/etcd/EtcdClient.h"
#include "models/etcd/EtcdIds.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace Qt::StringLiterals;

namespace regscope {

struct EtcdRegistration::Impl {
    EtcdRegistrationOptions options;
    std::unique_ptr<EtcdClient> client;
    std::atomic<qint64> lease{0};
    std::atomic<qint64> keepAlives{0};
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::condition_variable cv;
    std::mutex streamMutex;
    EtcdKeepAliveStream* stream = nullptr;
    std::thread thread;
    int endpointIndex = 0;

    void log(const QString& m) const {
        if (options.log)
            options.log(m);
    }

    // Connects to the next endpoint that answers.
    EtcdResult<void> connectAny() {
        EtcdError last{EtcdError::Code::Unavailable, u"no endpoint"_s};
        const auto& eps = options.connection.endpoints;
        for (qsizetype i = 0; i < eps.size(); ++i) {
            const QString ep = eps.at((endpointIndex + i) % eps.size());
            auto c = std::make_unique<EtcdClient>(ep, options.connection);
            if (auto r = c->connect(); !r) {
                last = r.error();
                continue;
            }
            endpointIndex = static_cast<int>((endpointIndex + i) % eps.size());
            client = std::move(c);
            return {};
        }
        return std::unexpected(last);
    }

    EtcdResult<void> registerOnce() {
        if (!client)
            if (auto c = connectAny(); !c)
                return c;
        auto granted = client->leaseGrant(options.ttlSeconds);
        if (!granted) {
            client.reset();
            return std::unexpected(granted.error());
        }
        auto put = client->put(options.key, options.value, granted->id);
        if (!put) {
            client->leaseRevoke(granted->id);
            client.reset();
            return std::unexpected(put.error());
        }
        lease = granted->id;
        log(u"registered "_s + QString::fromUtf8(options.key) + u" with lease "_s +
            etcdLeaseText(granted->id) + u" (ttl "_s + QString::number(granted->ttl) +
            u" s) on "_s + client->endpoint());
        return {};
    }

    bool waitFor(qint64 ms) {
        std::unique_lock lock(mutex);
        cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping.load(); });
        return !stopping;
    }

    void run() {
        const qint64 period = std::max<qint64>(1, options.ttlSeconds) * 1000 / 3;
        std::unique_ptr<EtcdKeepAliveStream> ka;
        while (waitFor(period)) {
            if (!client || lease == 0) {
                if (auto r = registerOnce(); !r) {
                    log(r.error().message + u"; retrying"_s);
                    continue;
                }
            }
            if (!ka) {
                auto opened = client->openKeepAlive();
                if (!opened) {
                    client.reset();
                    continue;
                }
                ka = std::move(*opened);
                std::lock_guard lock(streamMutex);
                stream = ka.get();
            }
            auto ttl = ka->keepAlive(lease, options.connection.callTimeoutMs);
            if (ttl && *ttl > 0) {
                ++keepAlives;
                continue;
            }
            {
                std::lock_guard lock(streamMutex);
                stream = nullptr;
            }
            ka.reset();
            if (ttl) { // TTL 0: the lease expired (we were cut off too long): register again
                log(u"lease "_s + etcdLeaseText(lease.load()) + u" expired; registering again"_s);
                lease = 0;
            } else {
                log(ttl.error().message + u"; moving to another endpoint"_s);
                endpointIndex =
                    (endpointIndex + 1) %
                    std::max<int>(1, static_cast<int>(options.connection.endpoints.size()));
                client.reset();
            }
        }
        std::lock_guard lock(streamMutex);
        stream = nullptr;
    }
};

EtcdRegistration::EtcdRegistration(EtcdRegistrationOptions options)
    : d(std::make_unique<Impl>()) {
    d->options = std::move(options);
}

EtcdRegistration::~EtcdRegistration() {
    stop();
}

EtcdResult<void> EtcdRegistration::start() {
    if (d->thread.joinable())
        return {};
    if (d->options.connection.endpoints.isEmpty() || d->options.key.isEmpty() ||
        d->options.ttlSeconds < 1)
        return std::unexpected(EtcdError{EtcdError::Code::InvalidArgument,
                                         u"registration needs endpoints, a key and a ttl >= 1"_s});
    if (auto r = d->registerOnce(); !r)
        return r;
    d->stopping = false;
    d->thread = std::thread([this] { d->run(); });
    return {};
}

EtcdResult<void> EtcdRegistration::stop() {
    {
        std::lock_guard lock(d->mutex);
        d->stopping = true;
    }
    d->cv.notify_all();
    {
        std::lock_guard lock(d->streamMutex);
        if (d->stream)
            d->stream->cancel();
    }
    if (d->thread.joinable())
        d->thread.join();
    const qint64 lease = d->lease.exchange(0);
    if (lease == 0)
        return {};
    if (!d->client)
        if (auto c = d->connectAny(); !c)
            return c;
    auto r = d->client->leaseRevoke(lease);
    if (r)
        d->log(u"revoked lease "_s + etcdLeaseText(lease) + u"; "_s +
               QString::fromUtf8(d->options.key) + u" removed"_s);
    return r;
}

EtcdResult<void> EtcdRegistration::registerStep(int deadlineMs) {
    d->options.connection.callTimeoutMs = std::max(1, deadlineMs);
    d->options.connection.connectTimeoutMs = std::max(1, deadlineMs / 2);
    if (d->client)
        d->client->setCallTimeoutMs(deadlineMs);
    if (const qint64 old = d->lease.exchange(0); old != 0 && d->client)
        d->client->leaseRevoke(old); // best effort: a stale lease would keep an old key alive
    return d->registerOnce();
}

EtcdResult<void> EtcdRegistration::renewStep(int deadlineMs) {
    if (d->lease == 0)
        return std::unexpected(EtcdError{EtcdError::Code::LeaseNotFound, u"not registered"_s});
    if (!d->client)
        if (auto c = d->connectAny(); !c)
            return c;
    d->client->setCallTimeoutMs(deadlineMs);
    // A unary TimeToLive would not renew; a short-lived keep-alive stream does, and a
    // deadline bounds it even when the member is silent.
    auto ka = d->client->openKeepAlive(deadlineMs);
    if (!ka) {
        d->client.reset();
        return std::unexpected(ka.error());
    }
    auto ttl = (*ka)->keepAlive(d->lease, deadlineMs);
    if (!ttl) {
        d->client.reset();
        return std::unexpected(ttl.error());
    }
    if (*ttl <= 0) {
        d->lease = 0;
        return std::unexpected(
            EtcdError{EtcdError::Code::LeaseNotFound, u"lease expired; the key is gone"_s});
    }
    ++d->keepAlives;
    return {};
}

EtcdResult<void> EtcdRegistration::cancelStep(int deadlineMs) {
    const qint64 lease = d->lease.exchange(0);
    if (lease == 0)
        return {};
    if (!d->client)
        if (auto c = d->connectAny(); !c)
            return c;
    d->client->setCallTimeoutMs(deadlineMs);
    return d->client->leaseRevoke(lease);
}

qint64 EtcdRegistration::renewIntervalMs() const {
    return std::max<qint64>(1, d->options.ttlSeconds) * 1000 / 3;
}

qint64 EtcdRegistration::leaseId() const {
    return d->lease;
}

qint64 EtcdRegistration::keepAliveCount() const {
    return d->keepAlives;
}

} // namespace regscope
