#include "app/discoveryd/HttpServer.h"

#include "app/discoveryd/Connections.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

namespace regscope::discoveryd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kWriteChunk = 256 * 1024;
// Replies to pipelined requests written together: at most this many, or this many bytes;
// a body up to kInlineBody is copied into the batch, a bigger one written from its buffer.
constexpr int kBatchReplies = 32;
constexpr std::size_t kBatchBytes = 64 * 1024;
constexpr std::size_t kInlineBody = 16 * 1024;

// What the sessions of one io thread share.
struct Shared {
    asio::io_context& io;
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
        releaseBatch();
        m_book->destroyed(*this);
    }

    void start() { readRequest(); }

    // Connection: the server sheds this one (no whole request yet) to make room.
    void shed() override { close(); }

private:
    const ServerOptions& options() const { return m_shared.options; }

    void startRequest() {
        m_parser.emplace();
        m_parser->body_limit(options().maxBodyBytes);
        m_parser->header_limit(static_cast<std::uint32_t>(options().maxHeaderBytes));
        m_book->startedReading(*this);
    }

    void readRequest() {
        startRequest();
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

    // Answers the request just read and, while the client has pipelined more whole requests
    // into the buffer, those too: their replies go out together in one write (at most
    // kBatchReplies or kBatchBytes), as an HTTP/2 server batches a stream's frames. A
    // request that parks, or one not yet whole, sends what is batched first.
    void dispatch() {
        for (int answered = 1;; ++answered) {
            if (!dispatchOne())
                return; // parked: its answer comes later, through answer()
            if (m_closed || !m_keepAliveAfter || m_held || answered >= kBatchReplies ||
                m_out.size() >= std::min(kBatchBytes, options().maxWriteQueue) ||
                m_buffer.size() == 0) {
                flush();
                return;
            }
            startRequest();
            beast::error_code ec;
            if (!parseBuffered(ec)) {
                m_resumeRead = !ec; // the rest of this request is still to come
                if (ec)
                    onRead(ec); // its refusal is queued behind the batch
                else
                    flush();
                return;
            }
            m_book->stoppedReading(*this);
        }
    }

    // Feeds the buffered bytes to the parser; true once a whole request is parsed.
    bool parseBuffered(beast::error_code& ec) {
        m_parser->eager(true);
        while (!m_parser->is_done() && m_buffer.size() > 0) {
            const std::size_t n = m_parser->put(m_buffer.data(), ec);
            m_buffer.consume(n);
            if (ec == http::error::need_more) {
                ec = {};
                return false;
            }
            if (ec || n == 0)
                return false;
        }
        return m_parser->is_done();
    }

    // Hands one parsed request to the API; false if it parked (a long-poll).
    bool dispatchOne() {
        auto& req = m_parser->get();
        m_keepAlive = req.keep_alive();
        m_version = req.version();
        ++m_served;
        const ApiRequest request{
            std::string_view(req.method_string()), std::string_view(req.target()),
            std::string_view(req[http::field::content_type]), std::string_view(req.body())};
        m_answered = false;
        m_stream.expires_never();
        m_dispatching = true;
        // A parked poll is answered on the thread of the change that woke it: the answer
        // hops to this session's thread (and the session is only ever touched there).
        const auto parked = m_shared.api.handle(
            request, [weak = weak_from_this(), ex = m_shared.io.get_executor()](ApiReply reply) {
                if (ex.running_in_this_thread()) {
                    if (auto self = weak.lock())
                        self->answer(std::move(reply));
                    return;
                }
                asio::post(ex, [weak, reply = std::move(reply)]() mutable {
                    if (auto self = weak.lock())
                        self->answer(std::move(reply));
                });
            });
        m_dispatching = false;
        if (m_answered)
            return true;
        if (parked) {
            m_parkedPoll = parked;
            flush(); // what was answered before it goes now
            watchWhileParked();
        }
        return false;
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
        queue(std::move(reply), m_keepAlive);
        if (!m_dispatching)
            flush(); // a parked poll's answer, or a refusal: nothing else is batched with it
    }

    // The write-buffer bounds: a reply too big for one connection, or one that would push
    // the bytes held for all unfinished writes past the total, is replaced by a short 503
    // (which is held whatever the total: it is tiny and it frees the client). The check and
    // the hold are one step, so io threads cannot overshoot the total together.
    ApiReply bounded(ApiReply reply) {
        const auto& o = options();
        std::string why;
        if (reply.size() > o.maxWriteQueue)
            why = "reply of " + std::to_string(reply.size()) + " bytes exceeds " +
                  std::to_string(o.maxWriteQueue) + " bytes per connection (--max-write-queue)";
        else if (m_book->tryHold(reply.body, o.maxWriteQueueTotal))
            return reply;
        else
            why = "write buffer full: " + std::to_string(m_book->heldBytes()) + " of " +
                  std::to_string(o.maxWriteQueueTotal) +
                  " bytes held for unfinished replies (--max-write-queue-total)";
        m_book->metrics().transport().writeRefused++;
        ApiReply refusal = m_shared.api.refuse(503, {}, why, discovery::Code::Unavailable);
        m_book->tryHold(refusal.body, std::numeric_limits<std::size_t>::max());
        return refusal;
    }

    // A reply the transport makes itself (refusals): queued behind the batch, then sent.
    void send(ApiReply reply, bool keepAlive) {
        queue(std::move(reply), keepAlive);
        flush();
    }

    // Appends a reply to the outgoing batch: its head, and its body when small (the body's
    // bytes stay held until the batch is written); a big body is written from its shared
    // buffer after the batch, in chunks, and nothing more is batched behind it.
    void queue(ApiReply replyIn, bool keepAlive) {
        if (m_closed)
            return;
        if (m_writing || m_held) {
            // A parked poll's answer while the replies before it are still being written:
            // it goes next (there is at most one: nothing is read while a poll is parked).
            m_later.emplace(std::move(replyIn), keepAlive);
            return;
        }
        ApiReply reply = bounded(std::move(replyIn));
        appendHead(reply, keepAlive);
        m_keepAliveAfter = keepAlive;
        if (reply.size() <= kInlineBody) {
            if (reply.body) {
                m_out += *reply.body;
                m_outHeld.push_back(std::move(reply.body)); // held by bounded()
            }
            return;
        }
        m_held = std::move(reply.body); // held by bounded()
    }

    void appendHead(const ApiReply& reply, bool keepAlive) {
        if (m_version == 11 && reply.httpStatus == 200)
            m_out += "HTTP/1.1 200 OK\r\n";
        else
            m_out += statusLine(m_version, reply.httpStatus);
        m_out += "Server: regscope-discoveryd\r\nContent-Type: ";
        m_out += reply.contentType;
        m_out += "\r\nContent-Length: ";
        char digits[24];
        const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, reply.size());
        m_out.append(digits, end);
        m_out += "\r\n";
        if (!keepAlive)
            m_out += "Connection: close\r\n";
        else if (m_version < 11)
            m_out += "Connection: keep-alive\r\n";
        m_out += "\r\n";
    }

    // Writes the batch (and a big body after it); nothing to write: carry on reading.
    void flush() {
        if (m_closed || m_writing)
            return;
        if (m_out.empty() && !m_held) {
            afterWrite();
            return;
        }
        m_writing = true;
        m_sent = 0;
        m_outSent = false;
        writeChunk();
    }

    void writeChunk() {
        const std::string& body = m_held ? *m_held : m_empty;
        const std::size_t n = std::min(kWriteChunk, body.size() - m_sent);
        std::array<asio::const_buffer, 2> bufs{
            asio::buffer(m_out.data(), m_outSent ? 0 : m_out.size()),
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
        m_outSent = true;
        m_sent += n;
        if (m_held && m_sent < m_held->size()) {
            writeChunk();
            return;
        }
        m_writing = false;
        m_out.clear();
        releaseBatch();
        if (m_later) {
            auto [reply, keepAlive] = std::move(*m_later);
            m_later.reset();
            send(std::move(reply), keepAlive);
            return;
        }
        afterWrite();
    }

    void afterWrite() {
        if (!m_keepAliveAfter) {
            close();
            return;
        }
        if (m_parkedPoll)
            return; // its answer comes through answer()
        if (m_resumeRead) {
            m_resumeRead = false;
            readWithDeadline(); // the rest of a request begun in the buffer
            return;
        }
        readRequest();
    }

    void releaseBatch() {
        m_book->release(m_held);
        for (auto& body : m_outHeld)
            m_book->release(body);
        m_outHeld.clear();
    }

    void close() {
        if (m_closed)
            return;
        m_closed = true;
        m_book->closed(*this);
        releaseBatch();
        beast::error_code ignored;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        m_stream.socket().close(ignored);
    }

    beast::tcp_stream m_stream;
    Shared& m_shared;
    std::shared_ptr<Connections> m_book;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    std::string m_out; // heads and small bodies of the batched replies
    std::vector<std::shared_ptr<const std::string>> m_outHeld; // their bodies, held
    std::shared_ptr<const std::string> m_held; // a big reply body written after m_out (shared)
    std::optional<std::pair<ApiReply, bool>> m_later; // a reply (and its keep-alive) to send next
    const std::string m_empty;
    std::size_t m_sent = 0;
    bool m_outSent = false;
    bool m_writing = false;
    bool m_dispatching = false;
    bool m_resumeRead = false; // after the write, go on reading the request begun
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
        std::make_shared<Session>(std::move(socket), m_shared)->start();
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
    Shared m_shared;
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
