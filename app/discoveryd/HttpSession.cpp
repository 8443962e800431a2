#include "app/discoveryd/HttpSession.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <optional>
#include <string>
#include <utility>
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
    Session(tcp::socket socket, SessionShared& shared)
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
        else if (hold(reply, o.maxWriteQueueTotal))
            return reply;
        else
            why = "write buffer full: " + std::to_string(m_book->heldBytes()) + " of " +
                  std::to_string(o.maxWriteQueueTotal) +
                  " bytes held for unfinished replies (--max-write-queue-total)";
        m_book->metrics().transport().writeRefused++;
        ApiReply refusal = m_shared.api.refuse(503, {}, why, discovery::Code::Unavailable);
        hold(refusal, std::numeric_limits<std::size_t>::max());
        return refusal;
    }

    // A small reply of this client's alone is copied into the batch: its bytes are counted
    // without the table of shared bodies (queue() copies exactly these).
    static bool copied(const ApiReply& reply) {
        return !reply.sharable && reply.size() <= kInlineBody;
    }
    bool hold(const ApiReply& reply, std::size_t limit) {
        return copied(reply) ? m_book->tryHoldBytes(reply.size(), limit)
                             : m_book->tryHold(reply.body, limit);
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
        if (copied(reply)) {
            if (reply.body)
                m_out += *reply.body;
            m_outCopied += reply.size(); // held by bounded() until written
            return;
        }
        if (reply.size() <= kInlineBody) { // a small shared body
            if (reply.body)
                m_out += *reply.body;
            m_outHeld.push_back(std::move(reply.body)); // held by bounded()
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
        m_book->releaseBytes(m_outCopied);
        m_outCopied = 0;
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
    SessionShared& m_shared;
    std::shared_ptr<Connections> m_book;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    std::string m_out; // heads and small bodies of the batched replies
    std::vector<std::shared_ptr<const std::string>> m_outHeld; // shared bodies among them
    std::size_t m_outCopied = 0; // bytes of the bodies of this client's alone among them
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

} // namespace

void startSession(tcp::socket socket, SessionShared& shared) {
    std::make_shared<Session>(std::move(socket), shared)->start();
}

} // namespace regscope::discoveryd
