#include "app/discoveryd/HttpServer.h"

#include "app/discoveryd/Connections.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>

namespace regscope::discoveryd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kWriteChunk = 256 * 1024;

struct Shared {
    DiscoveryApi& api;
    discovery::DiscoveryRegistry& registry;
    const ServerOptions& options;
    // Shared with the sessions: the io_context may destroy abandoned sessions after the
    // server itself is gone (at shutdown), and their destructor still counts down.
    std::shared_ptr<Connections> book;
};

// A Beast parse error the client can be told about (not a hang-up or a short read).
bool isParseError(const beast::error_code& ec) {
    if (ec.category() != http::make_error_code(http::error::bad_target).category())
        return false;
    return ec != http::error::end_of_stream && ec != http::error::partial_message &&
           ec != http::error::need_more && ec != http::error::need_buffer &&
           ec != http::error::end_of_chunk;
}

std::string statusLine(unsigned version, unsigned status) {
    const auto reason = http::obsolete_reason(static_cast<http::status>(status));
    return "HTTP/" + std::to_string(version / 10) + "." + std::to_string(version % 10) + " " +
           std::to_string(status) + " " + std::string(reason) + "\r\n";
}

class Session : public std::enable_shared_from_this<Session>, public Connection {
public:
    Session(tcp::socket socket, Shared& shared)
        : m_stream(std::move(socket))
        , m_shared(shared)
        , m_book(shared.book) {
        m_book->opened(*this);
    }
    ~Session() override {
        m_book->release(m_held);
        m_book->destroyed(*this);
    }

    void start() { readRequest(); }

    // Connection: the server sheds this one (no whole request yet) to make room.
    void shed() override { close(); }

private:
    const ServerOptions& options() const { return m_shared.options; }

    void readRequest() {
        m_parser.emplace();
        m_parser->body_limit(options().maxBodyBytes);
        m_parser->header_limit(static_cast<std::uint32_t>(options().maxHeaderBytes));
        m_book->startedReading(*this);
        if (m_served == 0 || m_buffer.size() > 0) {
            readWithDeadline(); // a fresh connection has the short deadline from its accept
            return;
        }
        // Keep-alive between requests: idle until the next request's first byte.
        m_stream.expires_after(options().idleTimeout);
        m_stream.async_read_some(m_buffer.prepare(16 * 1024),
                                 [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                     self->m_buffer.commit(n);
                                     if (ec) {
                                         self->close();
                                         return;
                                     }
                                     self->readWithDeadline();
                                 });
    }

    void readWithDeadline() {
        m_stream.expires_after(options().headerTimeout);
        http::async_read(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    }

    void onRead(beast::error_code ec) {
        m_book->stoppedReading(*this);
        if (ec == http::error::body_limit || ec == http::error::header_limit) {
            // Refused before it reached the registry: nothing it holds is touched.
            const bool body = ec == http::error::body_limit;
            std::string target;
            if (m_parser->is_header_done())
                target = std::string(m_parser->get().target());
            send(m_shared.api.refuse(
                     body ? 413 : 431, target,
                     body ? "request body exceeds " + std::to_string(options().maxBodyBytes) +
                                " bytes (--max-body)"
                          : "request line and headers exceed " +
                                std::to_string(options().maxHeaderBytes) + " bytes (--max-header)"),
                 false);
            return;
        }
        if (isParseError(ec)) {
            m_book->metrics().transport().badRequests++;
            send(m_shared.api.refuse(400, {}, "malformed HTTP request: " + ec.message()), false);
            return;
        }
        if (ec == beast::error::timeout && !m_closed)
            m_book->metrics().transport().headerTimeouts++;
        if (ec) {
            close();
            return;
        }
        dispatch();
    }

    void dispatch() {
        auto& req = m_parser->get();
        m_keepAlive = req.keep_alive();
        m_version = req.version();
        ++m_served;
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

    // The write-buffer bounds: a reply too big for one connection, or one that would push
    // the bytes held for all unfinished writes past the total, is replaced by a short 503.
    ApiReply bounded(ApiReply reply) {
        const auto& o = options();
        std::string why;
        if (reply.size() > o.maxWriteQueue)
            why = "reply of " + std::to_string(reply.size()) + " bytes exceeds " +
                  std::to_string(o.maxWriteQueue) + " bytes per connection (--max-write-queue)";
        else if (!m_book->fits(reply.body.get(), reply.size(), o.maxWriteQueueTotal))
            why = "write buffer full: " + std::to_string(m_book->heldBytes()) + " of " +
                  std::to_string(o.maxWriteQueueTotal) +
                  " bytes held for unfinished replies (--max-write-queue-total)";
        if (why.empty())
            return reply;
        m_book->metrics().transport().writeRefused++;
        return m_shared.api.refuse(503, {}, why, discovery::Code::Unavailable);
    }

    void send(ApiReply replyIn, bool keepAlive) {
        if (m_closed)
            return;
        ApiReply reply = bounded(std::move(replyIn));
        m_head = statusLine(m_version, reply.httpStatus);
        m_head += "Server: regscope-discoveryd\r\nContent-Type: " + reply.contentType +
                  "\r\nContent-Length: " + std::to_string(reply.size()) + "\r\n";
        if (!keepAlive)
            m_head += "Connection: close\r\n";
        else if (m_version < 11)
            m_head += "Connection: keep-alive\r\n";
        m_head += "\r\n";
        m_held = m_book->hold(std::move(reply.body));
        m_sent = 0;
        m_headSent = false;
        m_keepAliveAfter = keepAlive;
        writeChunk();
    }

    void writeChunk() {
        const std::string& body = m_held ? *m_held : m_empty;
        const std::size_t n = std::min(kWriteChunk, body.size() - m_sent);
        std::array<asio::const_buffer, 2> bufs{
            asio::buffer(m_head.data(), m_headSent ? 0 : m_head.size()),
            asio::buffer(body.data() + m_sent, n)};
        // The deadline is per chunk: a client that reads slowly but steadily is served; one
        // that stops reading is closed after --write-timeout and its reply memory freed.
        m_stream.expires_after(options().writeTimeout);
        asio::async_write(m_stream, bufs,
                          [self = shared_from_this(), n](beast::error_code ec, std::size_t) {
                              self->onWritten(ec, n);
                          });
    }

    void onWritten(beast::error_code ec, std::size_t n) {
        if (ec) {
            if (ec == beast::error::timeout && !m_closed)
                m_book->metrics().transport().writeTimeouts++;
            close();
            return;
        }
        m_headSent = true;
        m_sent += n;
        if (m_held && m_sent < m_held->size()) {
            writeChunk();
            return;
        }
        m_book->release(m_held);
        if (!m_keepAliveAfter) {
            close();
            return;
        }
        readRequest();
    }

    void close() {
        if (m_closed)
            return;
        m_closed = true;
        m_book->closed(*this);
        m_book->release(m_held);
        beast::error_code ignored;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        m_stream.socket().close(ignored);
    }

    beast::tcp_stream m_stream;
    Shared& m_shared;
    std::shared_ptr<Connections> m_book;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    std::string m_head;
    std::shared_ptr<const std::string> m_held; // the reply body being written (shared)
    const std::string m_empty;
    std::size_t m_sent = 0;
    bool m_headSent = false;
    bool m_keepAliveAfter = true;
    std::optional<discovery::PollId> m_parkedPoll;
    std::uint64_t m_served = 0;
    unsigned m_version = 11;
    bool m_keepAlive = true;
    bool m_answered = false;
    bool m_closed = false;
};

bool outOfDescriptors(const beast::error_code& ec) {
    return ec == asio::error::no_descriptors || // EMFILE
           ec == beast::error_code(ENFILE, asio::error::get_system_category()) ||
           ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

} // namespace

struct HttpServer::Impl {
    Impl(asio::io_context& io, DiscoveryApi& api, ServerMetrics& metrics,
         discovery::DiscoveryRegistry& registry, const ServerOptions& options)
        : io(io)
        , metrics(metrics)
        , shared{api, registry, options, std::make_shared<Connections>(metrics)}
        , acceptor(io)
        , acceptRetry(io)
        , ticker(io) {
        api.setWriteBudget([book = shared.book, &options](std::size_t bytes) {
            return book->heldBytes() + bytes <= options.maxWriteQueueTotal;
        });
    }

    void accept() {
        acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted)
                return;
            if (ec) {
                onAcceptError(ec);
                return;
            }
            backoff = std::chrono::milliseconds(0);
            onAccepted(std::move(socket));
            accept();
        });
    }

    void onAccepted(tcp::socket socket) {
        metrics.countConnection();
        auto& book = *shared.book;
        // At the cap, a connection that has not sent a whole request makes room first.
        if (book.live() >= shared.options.maxConnections && !book.shedOldestReading()) {
            metrics.countRefused();
            beast::error_code ignored;
            socket.close(ignored);
            return;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), shared)->start();
    }

    // Out of descriptors: retrying at once would spin (the listen queue stays readable).
    // Free one by shedding a connection without a whole request, and back off 5 ms .. 1 s.
    void onAcceptError(const beast::error_code& ec) {
        metrics.transport().acceptErrors++;
        if (!outOfDescriptors(ec)) {
            accept(); // ECONNABORTED and friends: that one client is gone, serve the others
            return;
        }
        shared.book->shedOldestReading();
        backoff =
            std::clamp(backoff * 2, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
        const auto now = std::chrono::steady_clock::now();
        if (now - lastWarning > std::chrono::seconds(10)) {
            lastWarning = now;
            std::fprintf(stderr,
                         "regscope-discoveryd: accept: %s with %zu connections open; backing "
                         "off and shedding connections without a whole request\n",
                         ec.message().c_str(), static_cast<std::size_t>(shared.book->live()));
        }
        acceptRetry.expires_after(backoff);
        acceptRetry.async_wait([this](beast::error_code waitEc) {
            if (!waitEc)
                accept();
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
    ServerMetrics& metrics;
    Shared shared;
    tcp::acceptor acceptor;
    asio::steady_timer acceptRetry;
    asio::steady_timer ticker;
    std::chrono::milliseconds period{50};
    std::chrono::milliseconds backoff{0};
    std::chrono::steady_clock::time_point lastWarning{};
};

HttpServer::HttpServer(asio::io_context& io, DiscoveryApi& api, ServerMetrics& metrics,
                       discovery::DiscoveryRegistry& registry, const ServerOptions& options)
    : m_impl(std::make_unique<Impl>(io, api, metrics, registry, options)) {}

HttpServer::~HttpServer() = default;

std::expected<std::string, std::string> HttpServer::start() {
    beast::error_code ec;
    const auto& options = m_impl->shared.options;
    const auto address = asio::ip::make_address(options.host, ec);
    if (ec)
        return std::unexpected("bad listen address " + options.host + ": " + ec.message());
    const tcp::endpoint endpoint(address, options.port);
    auto& acceptor = m_impl->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        acceptor.bind(endpoint, ec);
    if (!ec)
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return std::unexpected("cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + ": " + ec.message());

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
    m_impl->accept();
    m_impl->tick();
    const auto bound = acceptor.local_endpoint(ec);
    return bound.address().to_string() + ":" + std::to_string(bound.port());
}

} // namespace regscope::discoveryd
