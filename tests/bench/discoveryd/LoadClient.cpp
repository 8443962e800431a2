#include "LoadClient.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace regscope::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

double LoadResult::percentileUs(double p) const {
    if (latenciesUs.empty())
        return 0;
    std::vector<double> v = latenciesUs;
    const auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

namespace {

http::request<http::string_body> toHttp(const Request& r, const std::string& host) {
    http::request<http::string_body> req(r.method == "POST" ? http::verb::post : http::verb::get,
                                         r.target, 11);
    req.set(http::field::host, host);
    req.keep_alive(true);
    if (!r.contentType.empty())
        req.set(http::field::content_type, r.contentType);
    req.body() = r.body;
    req.prepare_payload();
    return req;
}

struct Worker : std::enable_shared_from_this<Worker> {
    Worker(asio::io_context& io, const tcp::endpoint& ep, std::string host,
           std::atomic<std::uint64_t>& counter, std::uint64_t total,
           const std::function<Request(std::uint64_t)>& next,
           const std::function<bool(const std::string&)>& accept, LoadResult& result)
        : socket(io)
        , endpoint(ep)
        , host(std::move(host))
        , counter(counter)
        , total(total)
        , next(next)
        , accept(accept)
        , result(result) {}

    void start() {
        socket.async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
            if (ec) {
                ++self->result.failed;
                return;
            }
            socket_option(self->socket);
            self->send();
        });
    }
    static void socket_option(tcp::socket& s) {
        beast::error_code ignored;
        s.set_option(tcp::no_delay(true), ignored);
    }
    void send() {
        const std::uint64_t i = counter.fetch_add(1);
        if (i >= total)
            return;
        req = toHttp(next(i), host);
        started = Clock::now();
        http::async_write(
            socket, req, [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) {
                    ++self->result.failed;
                    return;
                }
                self->res = {};
                http::async_read(self->socket, self->buffer, self->res,
                                 [self](beast::error_code ec2, std::size_t) { self->onRead(ec2); });
            });
    }
    void onRead(beast::error_code ec) {
        if (ec) {
            ++result.failed;
            return;
        }
        result.latenciesUs.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - started).count());
        if (res.result_int() == 200 && accept(res.body()))
            ++result.ok;
        else
            ++result.failed;
        send();
    }

    tcp::socket socket;
    tcp::endpoint endpoint;
    std::string host;
    std::atomic<std::uint64_t>& counter;
    std::uint64_t total;
    const std::function<Request(std::uint64_t)>& next;
    const std::function<bool(const std::string&)>& accept;
    LoadResult& result;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
    Clock::time_point started;
};

} // namespace

LoadResult runLoad(const std::string& host, unsigned short port, int connections,
                   std::uint64_t requests, const std::function<Request(std::uint64_t)>& next,
                   const std::function<bool(const std::string&)>& accept) {
    // Several client threads (BENCH_CLIENT_THREADS, default 2: a single one is the bottleneck
    // against a multi-threaded server), each with its own io_context and connections. The
    // callers' callbacks are not thread-safe: they run under one lock.
    const char* env = std::getenv("BENCH_CLIENT_THREADS");
    const int threads = std::clamp(env ? std::atoi(env) : 2, 1, std::max(1, connections));
    std::mutex callbacks;
    const std::function<Request(std::uint64_t)> lockedNext = [&](std::uint64_t i) {
        const std::lock_guard lock(callbacks);
        return next(i);
    };
    const std::function<bool(const std::string&)> lockedAccept = [&](const std::string& b) {
        const std::lock_guard lock(callbacks);
        return accept(b);
    };
    const tcp::endpoint ep(asio::ip::make_address(host), port);
    std::atomic<std::uint64_t> counter{0};
    std::vector<LoadResult> results(static_cast<std::size_t>(threads));
    std::vector<std::unique_ptr<asio::io_context>> ios;
    const std::string hostHeader = host + ":" + std::to_string(port);
    for (int t = 0; t < threads; ++t)
        ios.push_back(std::make_unique<asio::io_context>(1));
    const auto t0 = Clock::now();
    for (int c = 0; c < connections; ++c) {
        const auto t = static_cast<std::size_t>(c % threads);
        std::make_shared<Worker>(*ios[t], ep, hostHeader, counter, requests, lockedNext,
                                 lockedAccept, results[t])
            ->start();
    }
    std::vector<std::thread> running;
    for (auto& io : ios)
        running.emplace_back([&io] { io->run(); });
    for (auto& th : running)
        th.join();
    LoadResult result;
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    for (auto& r : results) {
        result.ok += r.ok;
        result.failed += r.failed;
        result.latenciesUs.insert(result.latenciesUs.end(), r.latenciesUs.begin(),
                                  r.latenciesUs.end());
    }
    return result;
}

struct ParkedRequests::Impl {
    struct Conn {
        explicit Conn(asio::io_context& io)
            : socket(io) {}
        tcp::socket socket;
        http::request<http::string_body> req;
        http::response<http::string_body> res;
        beast::flat_buffer buffer;
    };
    asio::io_context io{1};
    std::vector<std::unique_ptr<Conn>> conns;
    std::atomic<int> sent{0};
    std::atomic<int> answered{0};
    std::thread thread;
};

ParkedRequests::ParkedRequests(const std::string& host, unsigned short port, int n,
                               const std::function<Request(int)>& make)
    : d(std::make_unique<Impl>()) {
    const tcp::endpoint ep(asio::ip::make_address(host), port);
    const std::string hostHeader = host + ":" + std::to_string(port);
    for (int i = 0; i < n; ++i) {
        auto conn = std::make_unique<Impl::Conn>(d->io);
        Impl::Conn* c = conn.get();
        c->req = toHttp(make(i), hostHeader);
        c->socket.async_connect(ep, [this, c](beast::error_code ec) {
            if (ec)
                return;
            http::async_write(c->socket, c->req, [this, c](beast::error_code ec2, std::size_t) {
                if (ec2)
                    return;
                ++d->sent;
                http::async_read(c->socket, c->buffer, c->res,
                                 [this](beast::error_code ec3, std::size_t) {
                                     if (!ec3)
                                         ++d->answered;
                                 });
            });
        });
        d->conns.push_back(std::move(conn));
    }
    d->thread = std::thread([this] { d->io.run(); });
}

ParkedRequests::~ParkedRequests() {
    d->io.stop();
    d->thread.join();
}

int ParkedRequests::sent() const {
    return d->sent.load();
}

int ParkedRequests::answered() const {
    return d->answered.load();
}

} // namespace regscope::bench
