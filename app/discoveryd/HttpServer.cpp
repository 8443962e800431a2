#include "app/discoveryd/HttpServer.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <optional>

namespace regscope::discoveryd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Shared {
    DiscoveryApi& api;
    ServerMetrics& metrics;
    discovery::DiscoveryRegistry& registry;
    const ServerOptions& options;
    // Shared with the sessions: the io_context may destroy abandoned sessions after the
    // server itself is gone (at shutdown), and their destructor still counts down.
    std::shared_ptr<std::size_t> openSessions = std::make_shared<std::size_t>(0);
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, Shared& shared)
        : m_stream(std::move(socket))
        , m_shared(shared)
        , m_open(shared.openSessions) {
        ++*m_open;
    }
    ~Session() { --*m_open; }

    void start() { readRequest(); }

private:
    void readRequest() {
        m_parser.emplace();
        m_parser->body_limit(m_shared.options.maxBodyBytes);
        m_parser->header_limit(static_cast<std::uint32_t>(m_shared.options.maxHeaderBytes));
        m_stream.expires_after(m_shared.options.idleTimeout);
        http::async_read(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    }

    void onRead(beast::error_code ec) {
        if (ec == http::error::body_limit || ec == http::error::header_limit) {
            // Refused before it reached the registry: nothing it holds is touched.
            const bool body = ec == http::error::body_limit;
            std::string target;
            if (m_parser->is_header_done())
                target = std::string(m_parser->get().target());
            send(m_shared.api.refuse(
                     body ? 413 : 431, target.substr(0, target.find('?')),
                     body ? "request body exceeds " +
                                std::to_string(m_shared.options.maxBodyBytes) + " bytes"
                          : "request header exceeds " +
                                std::to_string(m_shared.options.maxHeaderBytes) + " bytes"),
                 false);
            return;
        }
        if (ec) {
            close();
            return;
        }
        auto& req = m_parser->get();
        m_keepAlive = req.keep_alive();
        m_version = req.version();
        const ApiRequest request{
            std::string_view(req.method_string()), std::string_view(req.target()),
            std::string_view(req[http::field::content_type]), std::string_view(req.body())};
        m_answered = false;
        m_stream.expires_never();
        const auto parked = m_shared.api.handle(request, [weak = weak_from_this()](ApiReply reply) {
            if (auto self = weak.lock())
                self->answer(std::move(reply));
        });
        if (parked && !m_answered) {
            m_parkedPoll = parked;
            watchWhileParked();
        }
    }

    // While a long-poll is parked nothing is read; notice a client that hangs up so its
    // poll is forgotten at once instead of holding a slot until its timeout.
    void watchWhileParked() {
        m_stream.socket().async_wait(
            tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
                if (!self->m_parkedPoll)
                    return; // answered meanwhile: the next read takes over
                beast::error_code avail;
                if (ec || self->m_stream.socket().available(avail) == 0 || avail) {
                    self->m_shared.registry.cancelPoll(*self->m_parkedPoll);
                    self->m_parkedPoll.reset();
                    self->close();
                }
                // Else the client pipelined its next request: it waits in the socket.
            });
    }

    void answer(ApiReply reply) {
        m_answered = true;
        m_parkedPoll.reset();
        send(std::move(reply), m_keepAlive);
    }

    void send(ApiReply reply, bool keepAlive) {
        m_response = {};
        m_response.version(m_version);
        m_response.result(reply.httpStatus);
        m_response.set(http::field::server, "regscope-discoveryd");
        m_response.set(http::field::content_type, reply.contentType);
        m_response.body() = std::move(reply.body);
        m_response.keep_alive(keepAlive);
        m_response.prepare_payload();
        m_stream.expires_after(m_shared.options.idleTimeout);
        http::async_write(
            m_stream, m_response,
            [self = shared_from_this(), keepAlive](beast::error_code ec, std::size_t) {
                if (ec || !keepAlive) {
                    self->close();
                    return;
                }
                self->readRequest();
            });
    }

    void close() {
        beast::error_code ignored;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        m_stream.socket().close(ignored);
    }

    beast::tcp_stream m_stream;
    Shared& m_shared;
    std::shared_ptr<std::size_t> m_open;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    http::response<http::string_body> m_response;
    std::optional<discovery::PollId> m_parkedPoll;
    unsigned m_version = 11;
    bool m_keepAlive = true;
    bool m_answered = false;
};

} // namespace

struct HttpServer::Impl {
    Impl(asio::io_context& io, DiscoveryApi& api, ServerMetrics& metrics,
         discovery::DiscoveryRegistry& registry, const ServerOptions& options)
        : io(io)
        , shared{api, metrics, registry, options}
        , acceptor(io)
        , ticker(io) {}

    void accept() {
        acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted)
                return;
            if (!ec) {
                shared.metrics.countConnection();
                if (*shared.openSessions >= shared.options.maxConnections) {
                    shared.metrics.countRefused();
                    beast::error_code ignored;
                    socket.close(ignored);
                } else {
                    beast::error_code ignored;
                    socket.set_option(tcp::no_delay(true), ignored);
                    std::make_shared<Session>(std::move(socket), shared)->start();
                }
            }
            accept(); // also after EMFILE and friends: keep serving the others
        });
    }

    void tick() {
        ticker.expires_after(period);
        ticker.async_wait([this](beast::error_code ec) {
            if (ec)
                return;
            shared.registry.tick();
            tick();
        });
    }

    asio::io_context& io;
    Shared shared;
    tcp::acceptor acceptor;
    asio::steady_timer ticker;
    std::chrono::milliseconds period{50};
};

HttpServer::HttpServer(asio::io_context& io, DiscoveryApi& api, ServerMetrics& metrics,
                       discovery::DiscoveryRegistry& registry, const ServerOptions& options)
    : m_impl(std::make_unique<Impl>(io, api, metrics, registry, options)) {}

HttpServer::~HttpServer() = default;

std::expected<std::string, std::string> HttpServer::start() {
    beast::error_code ec;
    const auto address = asio::ip::make_address(m_impl->shared.options.host, ec);
    if (ec)
        return std::unexpected("bad listen address " + m_impl->shared.options.host + ": " +
                               ec.message());
    const tcp::endpoint endpoint(address, m_impl->shared.options.port);
    auto& acceptor = m_impl->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        acceptor.bind(endpoint, ec);
    if (!ec)
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return std::unexpected("cannot listen on " + m_impl->shared.options.host + ":" +
                               std::to_string(m_impl->shared.options.port) + ": " + ec.message());

    // Housekeeping often enough for the shortest configured duration (tests use ms).
    const auto& c = m_impl->shared.options.registry;
    if (m_impl->shared.options.tick.count() > 0) {
        m_impl->period = m_impl->shared.options.tick;
    } else {
        const auto shortest = std::min({c.evictInterval, c.pollTimeout, c.resetExpectedInterval});
        m_impl->period =
            std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(shortest / 20),
                       std::chrono::milliseconds(1), std::chrono::milliseconds(250));
    }
    m_impl->accept();
    m_impl->tick();
    const auto bound = acceptor.local_endpoint(ec);
    return bound.address().to_string() + ":" + std::to_string(bound.port());
}

} // namespace regscope::discoveryd
