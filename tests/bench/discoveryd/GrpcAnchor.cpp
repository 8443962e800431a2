#include "GrpcAnchor.h"

#include "connectors/etcd/EtcdClient.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace regscope::bench {

using Clock = std::chrono::steady_clock;

struct GrpcAnchor::Impl {
    std::vector<std::unique_ptr<regscope::EtcdClient>> clients;
    std::vector<std::unique_ptr<regscope::EtcdKeepAliveStream>> streams;
    bool ok = true;
};

GrpcAnchor::GrpcAnchor(unsigned short port, int streams, bool oneChannel)
    : d(std::make_unique<Impl>()) {
    regscope::EtcdOptions options;
    options.endpoints = {QString::fromStdString("127.0.0.1:" + std::to_string(port))};
    for (int i = 0; i < streams && d->ok; ++i) {
        if (d->clients.empty() || (!oneChannel && i % 8 == 0)) {
            d->clients.push_back(
                std::make_unique<regscope::EtcdClient>(options.endpoints.front(), options));
            d->ok = d->clients.back()->connect().has_value();
        }
        auto s = d->clients.back()->openKeepAlive(0);
        if (!s) {
            d->ok = false;
            break;
        }
        d->streams.push_back(std::move(*s));
    }
}

GrpcAnchor::~GrpcAnchor() = default;

bool GrpcAnchor::ok() const {
    return d->ok;
}

namespace {

// One stream, `window` in flight: the caller's thread sends, a second one receives.
struct Pipe {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Clock::time_point> sent; // in flight, oldest first
    bool sending = true;
};

void pipelined(regscope::EtcdKeepAliveStream& stream, const std::vector<long long>& leases,
               std::uint64_t base, std::uint64_t requests, std::size_t window,
               std::atomic<std::uint64_t>& next, LoadResult& out) {
    Pipe pipe;
    std::thread receiver([&] {
        for (;;) {
            {
                std::unique_lock lock(pipe.mutex);
                pipe.cv.wait(lock, [&] { return !pipe.sent.empty() || !pipe.sending; });
                if (pipe.sent.empty())
                    return;
            }
            const auto ttl = stream.receive();
            const auto now = Clock::now();
            std::lock_guard lock(pipe.mutex);
            out.latenciesUs.push_back(
                std::chrono::duration<double, std::micro>(now - pipe.sent.front()).count());
            pipe.sent.pop_front();
            ++(ttl && *ttl > 0 ? out.ok : out.failed);
            pipe.cv.notify_all();
            if (!ttl) {
                out.failed += pipe.sent.size();
                pipe.sent.clear();
                pipe.sending = false;
                return;
            }
        }
    });
    for (std::uint64_t i; (i = next++) < requests;) {
        {
            std::unique_lock lock(pipe.mutex);
            pipe.cv.wait(lock, [&] { return pipe.sent.size() < window || !pipe.sending; });
            if (!pipe.sending)
                break;
            pipe.sent.push_back(Clock::now());
        }
        pipe.cv.notify_all();
        if (!stream.send(leases[(base + i) % leases.size()]))
            break; // the receiver sees the stream end
    }
    {
        std::lock_guard lock(pipe.mutex);
        pipe.sending = false;
    }
    pipe.cv.notify_all();
    receiver.join();
}

void pingPong(regscope::EtcdKeepAliveStream& stream, const std::vector<long long>& leases,
              std::uint64_t base, std::uint64_t requests, std::atomic<std::uint64_t>& next,
              LoadResult& out) {
    for (std::uint64_t i; (i = next++) < requests;) {
        const auto t0 = Clock::now();
        const auto ttl = stream.keepAlive(leases[(base + i) % leases.size()], 5000);
        out.latenciesUs.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        ++(ttl && *ttl > 0 ? out.ok : out.failed);
        if (!ttl)
            return; // the stream is gone
    }
}

} // namespace

LoadResult GrpcAnchor::run(const std::vector<long long>& leases, std::uint64_t base,
                           std::uint64_t requests, int window) {
    std::atomic<std::uint64_t> next{0};
    std::vector<LoadResult> parts(d->streams.size());
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < d->streams.size(); ++t)
        threads.emplace_back([&, t] {
            if (window <= 1)
                pingPong(*d->streams[t], leases, base, requests, next, parts[t]);
            else
                pipelined(*d->streams[t], leases, base, requests, static_cast<std::size_t>(window),
                          next, parts[t]);
        });
    for (auto& th : threads)
        th.join();
    LoadResult r;
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (auto& p : parts) {
        r.ok += p.ok;
        r.failed += p.failed;
        r.latenciesUs.insert(r.latenciesUs.end(), p.latenciesUs.begin(), p.latenciesUs.end());
    }
    return r;
}

} // namespace regscope::bench
