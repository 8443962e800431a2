#include "app/discoveryd/HttpServer.h"

#include "app/discoveryd/Connections.h"
#include "app/discoveryd/HttpSession.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

namespace regscope::discoveryd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

bool outOfDescriptors(const beast::error_code& ec) {
    return ec == asio::error::no_descriptors || // EMFILE
           ec == beast::error_code(ENFILE, asio::error::get_system_category()) ||
           ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

// One io thread's listener: its own acceptor on the shared port (SO_REUSEPORT), its own
// book of connections, its own accept back-off.
class Worker {
public:
    Worker(asio::io_context& io, DiscoveryApi& api, ServerMetrics& metrics,
           discovery::DiscoveryRegistry& registry, const ServerOptions& options,
           std::shared_ptr<ReplyBuffers> buffers)
        : m_metrics(metrics)
        , m_shared{io, api, registry, options,
                   std::make_shared<Connections>(metrics, std::move(buffers))}
        , m_acceptor(io)
        , m_acceptRetry(io) {}

    std::expected<tcp::endpoint, std::string> listen(const tcp::endpoint& endpoint, bool share) {
        beast::error_code ec;
        m_acceptor.open(endpoint.protocol(), ec);
        if (!ec)
            m_acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec && share)
            m_acceptor.set_option(
                asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
        if (!ec)
            m_acceptor.bind(endpoint, ec);
        if (!ec)
            m_acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec)
            return std::unexpected(ec.message());
        const auto bound = m_acceptor.local_endpoint(ec);
        if (ec)
            return std::unexpected(ec.message());
        return bound;
    }

    void accept() {
        m_acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted)
                return;
            if (ec) {
                onAcceptError(ec);
                return;
            }
            m_backoff = std::chrono::milliseconds(0);
            onAccepted(std::move(socket));
            accept();
        });
    }

private:
    void onAccepted(tcp::socket socket) {
        m_metrics.countConnection();
        auto& book = *m_shared.book;
        // At the cap, a connection that has not sent a whole request makes room first.
        if (book.live() >= m_shared.options.maxConnections && !book.shedOldestReading()) {
            m_metrics.countRefused();
            beast::error_code ignored;
            socket.close(ignored);
            return;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        startSession(std::move(socket), m_shared);
    }

    // Out of descriptors: retrying at once would spin (the listen queue stays readable).
    // Free one by shedding a connection without a whole request, and back off 5 ms .. 1 s.
    void onAcceptError(const beast::error_code& ec) {
        m_metrics.transport().acceptErrors++;
        if (!outOfDescriptors(ec)) {
            accept(); // ECONNABORTED and friends: that one client is gone, serve the others
            return;
        }
        m_shared.book->shedOldestReading();
        m_backoff = std::clamp(m_backoff * 2, std::chrono::milliseconds(5),
                               std::chrono::milliseconds(1000));
        const auto now = std::chrono::steady_clock::now();
        if (now - m_lastWarning > std::chrono::seconds(10)) {
            m_lastWarning = now;
            std::fprintf(stderr,
                         "regscope-discoveryd: accept: %s with %zu connections open; backing "
                         "off and shedding connections without a whole request\n",
                         ec.message().c_str(), m_shared.book->live());
        }
        m_acceptRetry.expires_after(m_backoff);
        m_acceptRetry.async_wait([this](beast::error_code waitEc) {
            if (!waitEc)
                accept();
        });
    }

    ServerMetrics& m_metrics;
    SessionShared m_shared;
    tcp::acceptor m_acceptor;
    asio::steady_timer m_acceptRetry;
    std::chrono::milliseconds m_backoff{0};
    std::chrono::steady_clock::time_point m_lastWarning{};
};

} // namespace

struct HttpServer::Impl {
    Impl(asio::io_context& io, DiscoveryApi& api, ServerMetrics& metrics,
         discovery::DiscoveryRegistry& registry, const ServerOptions& options)
        : io(io)
        , api(api)
        , metrics(metrics)
        , registry(registry)
        , options(options)
        , ticker(io) {
        api.setWriteBudget([&metrics, &options](std::size_t bytes) {
            return metrics.transport().writeBufferBytes.load() + bytes <=
                   options.maxWriteQueueTotal;
        });
        const auto buffers = std::make_shared<ReplyBuffers>(metrics);
        workers.push_back(std::make_unique<Worker>(io, api, metrics, registry, options, buffers));
        for (unsigned i = 1; i < std::max(1u, options.threads); ++i) {
            extraIos.push_back(std::make_unique<asio::io_context>(1));
            workers.push_back(std::make_unique<Worker>(*extraIos.back(), api, metrics, registry,
                                                       options, buffers));
        }
    }
    // The extra io threads stop and join first; their sessions are destroyed with their
    // io_contexts afterwards, on this thread.
    ~Impl() {
        for (auto& x : extraIos)
            x->stop();
        for (auto& t : threads)
            t.join();
        threads.clear();
        workers.clear();
    }

    void tick() {
        ticker.expires_after(period);
        ticker.async_wait([this](beast::error_code ec) {
            if (ec)
                return;
            registry.tick();
            tick();
        });
    }

    asio::io_context& io;
    DiscoveryApi& api;
    ServerMetrics& metrics;
    discovery::DiscoveryRegistry& registry;
    const ServerOptions& options;
    std::vector<std::unique_ptr<asio::io_context>> extraIos;
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<std::thread> threads;
    asio::steady_timer ticker;
    std::chrono::milliseconds period{50};
};

HttpServer::HttpServer(asio::io_context& io, DiscoveryApi& api, ServerMetrics& metrics,
                       discovery::DiscoveryRegistry& registry, const ServerOptions& options)
    : m_impl(std::make_unique<Impl>(io, api, metrics, registry, options)) {}

HttpServer::~HttpServer() = default;

std::expected<std::string, std::string> HttpServer::start() {
    beast::error_code ec;
    const auto& options = m_impl->options;
    const auto address = asio::ip::make_address(options.host, ec);
    if (ec)
        return std::unexpected("bad listen address " + options.host + ": " + ec.message());
    // Every io thread listens on the same port; the kernel spreads new connections.
    const bool share = m_impl->workers.size() > 1;
    tcp::endpoint endpoint(address, options.port);
    for (auto& w : m_impl->workers) {
        auto bound = w->listen(endpoint, share);
        if (!bound)
            return std::unexpected("cannot listen on " + options.host + ":" +
                                   std::to_string(endpoint.port()) + ": " + bound.error());
        endpoint = *bound; // port 0: the others take the port the first one got
    }

    // Housekeeping often enough for the shortest configured duration (tests use ms).
    const auto& c = options.registry;
    if (options.tick.count() > 0) {
        m_impl->period = options.tick;
    } else {
        const auto shortest = std::min({c.evictInterval, c.pollTimeout, c.resetExpectedInterval});
        m_impl->period =
            std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(shortest / 20),
                       std::chrono::milliseconds(1), std::chrono::milliseconds(250));
    }
    for (auto& w : m_impl->workers)
        w->accept();
    m_impl->tick();
    for (auto& x : m_impl->extraIos)
        m_impl->threads.emplace_back([io = x.get()] { io->run(); });
    return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

} // namespace regscope::discoveryd
