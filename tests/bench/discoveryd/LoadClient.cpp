#include "LoadClient.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string_view>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

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

std::string serialise(const Request& r, const std::string& host) {
    std::string out = r.method + " " + r.target + " HTTP/1.1\r\nHost: " + host + "\r\n";
    if (!r.contentType.empty())
        out += "Content-Type: " + r.contentType + "\r\n";
    if (r.method == "POST" || !r.body.empty())
        out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    out += "\r\n";
    out += r.body;
    return out;
}

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i])
            return false;
    return true;
}

// One answer at the front of `in`: its size in bytes (0: incomplete), status and body.
struct Parsed {
    std::size_t size = 0;
    int status = 0;
    std::string body;
    bool bad = false;
};

// Decodes a chunked body starting at `at`; 0 if incomplete.
std::size_t dechunk(std::string_view in, std::size_t at, std::string& body) {
    for (;;) {
        const auto eol = in.find("\r\n", at);
        if (eol == std::string_view::npos)
            return 0;
        const std::size_t len =
            std::strtoull(std::string(in.substr(at, eol - at)).c_str(), nullptr, 16);
        if (len == 0) {
            const auto end = in.find("\r\n", eol + 2); // no trailers expected
            return end == std::string_view::npos ? 0 : end + 2;
        }
        if (in.size() < eol + 2 + len + 2)
            return 0;
        body.append(in.substr(eol + 2, len));
        at = eol + 2 + len + 2;
    }
}

Parsed parseAnswer(std::string_view in) {
    Parsed p;
    const auto headEnd = in.find("\r\n\r\n");
    if (headEnd == std::string_view::npos)
        return p;
    if (!in.starts_with("HTTP/1.") || in.size() < 12) {
        p.bad = true;
        return p;
    }
    p.status = std::atoi(std::string(in.substr(9, 3)).c_str());
    std::size_t length = 0;
    bool chunked = false;
    for (std::size_t line = in.find("\r\n") + 2; line < headEnd;) {
        const auto eol = in.find("\r\n", line);
        const std::string_view h = in.substr(line, eol - line);
        if (startsWithNoCase(h, "content-length:"))
            length = std::strtoull(std::string(h.substr(15)).c_str(), nullptr, 10);
        else if (startsWithNoCase(h, "transfer-encoding:") &&
                 h.find("chunked") != std::string_view::npos)
            chunked = true;
        line = eol + 2;
    }
    const std::size_t bodyAt = headEnd + 4;
    if (chunked) {
        p.size = dechunk(in, bodyAt, p.body);
        if (p.size == 0)
            p.body.clear();
        return p;
    }
    if (in.size() < bodyAt + length)
        return p;
    p.body.assign(in.substr(bodyAt, length));
    p.size = bodyAt + length;
    return p;
}

struct Conn {
    int fd = -1;
    std::string out;
    std::size_t outAt = 0;
    std::string in;
    std::size_t inAt = 0;
    std::deque<Clock::time_point> inFlight;
    bool wantWrite = false;
};

// One client thread: its connections on its own epoll set.
class LoadThread {
public:
    LoadThread(const sockaddr_in& addr, int connections, int depth,
               const std::vector<std::string>& raw, std::atomic<std::uint64_t>& counter,
               const std::function<bool(const std::string&)>& accept, std::mutex* lock)
        : m_depth(depth)
        , m_raw(raw)
        , m_counter(counter)
        , m_accept(accept)
        , m_lock(lock)
        , m_conns(static_cast<std::size_t>(connections)) {
        m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
        for (auto& c : m_conns) {
            c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            const int one = 1;
            ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
                ::close(c.fd);
                c.fd = -1;
                ++result.failed;
                continue;
            }
            ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.ptr = &c;
            ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, c.fd, &ev);
        }
    }
    ~LoadThread() {
        for (auto& c : m_conns)
            if (c.fd >= 0)
                ::close(c.fd);
        ::close(m_epoll);
    }

    void run() {
        for (auto& c : m_conns)
            if (c.fd >= 0) {
                refill(c);
                flush(c);
            }
        std::array<epoll_event, 64> events;
        while (m_live > 0) {
            const int n = ::epoll_wait(m_epoll, events.data(), events.size(), 10'000);
            if (n <= 0)
                break; // nothing for 10 s: the server is stuck; count the rest as failed
            for (int i = 0; i < n; ++i) {
                auto& c = *static_cast<Conn*>(events[static_cast<std::size_t>(i)].data.ptr);
                if (events[static_cast<std::size_t>(i)].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                    onReadable(c);
                if (c.fd >= 0 && (events[static_cast<std::size_t>(i)].events & EPOLLOUT))
                    flush(c);
            }
        }
        for (auto& c : m_conns)
            result.failed += c.inFlight.size();
    }

    LoadResult result;

private:
    // Tops the connection up to `depth` requests in flight; counts it in m_live when it was idle.
    void refill(Conn& c) {
        const bool was = !c.inFlight.empty();
        while (c.inFlight.size() < static_cast<std::size_t>(m_depth)) {
            const std::uint64_t i = m_counter.fetch_add(1);
            if (i >= m_raw.size())
                break;
            c.out += m_raw[i];
            c.inFlight.push_back(Clock::now());
        }
        if (!was && !c.inFlight.empty())
            ++m_live;
    }
    void flush(Conn& c) {
        while (c.outAt < c.out.size()) {
            const auto n =
                ::send(c.fd, c.out.data() + c.outAt, c.out.size() - c.outAt, MSG_NOSIGNAL);
            if (n < 0 && errno == EAGAIN)
                break;
            if (n <= 0) {
                drop(c);
                return;
            }
            c.outAt += static_cast<std::size_t>(n);
        }
        if (c.outAt == c.out.size()) {
            c.out.clear();
            c.outAt = 0;
        }
        const bool want = c.outAt < c.out.size();
        if (want != c.wantWrite) {
            c.wantWrite = want;
            epoll_event ev{};
            ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
            ev.data.ptr = &c;
            ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &ev);
        }
    }
    void onReadable(Conn& c) {
        char chunk[65536];
        for (;;) {
            const auto n = ::recv(c.fd, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EAGAIN)
                break;
            if (n <= 0) {
                drop(c);
                return;
            }
            c.in.append(chunk, static_cast<std::size_t>(n));
            if (static_cast<std::size_t>(n) < sizeof chunk)
                break;
        }
        const auto now = Clock::now();
        for (;;) {
            const std::string_view rest = std::string_view(c.in).substr(c.inAt);
            Parsed p = parseAnswer(rest);
            if (p.bad) {
                drop(c);
                return;
            }
            if (p.size == 0 || c.inFlight.empty())
                break;
            c.inAt += p.size;
            if (c.inFlight.size() == 1)
                --m_live; // refill() below counts it again if there is more to send
            result.latenciesUs.push_back(
                std::chrono::duration<double, std::micro>(now - c.inFlight.front()).count());
            c.inFlight.pop_front();
            bool ok = p.status == 200;
            if (ok && m_lock) {
                const std::lock_guard guard(*m_lock);
                ok = m_accept(p.body);
            } else if (ok) {
                ok = m_accept(p.body);
            }
            ++(ok ? result.ok : result.failed);
        }
        if (c.inAt == c.in.size()) {
            c.in.clear();
            c.inAt = 0;
        }
        refill(c);
        flush(c);
    }
    void drop(Conn& c) {
        if (c.fd < 0)
            return;
        result.failed += c.inFlight.size();
        if (!c.inFlight.empty())
            --m_live;
        c.inFlight.clear();
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.fd = -1;
    }

    int m_depth;
    const std::vector<std::string>& m_raw;
    std::atomic<std::uint64_t>& m_counter;
    const std::function<bool(const std::string&)>& m_accept;
    std::mutex* m_lock;
    std::vector<Conn> m_conns;
    int m_epoll = -1;
    int m_live = 0; // connections with requests in flight
};

} // namespace

int clientThreads() {
    const char* env = std::getenv("BENCH_CLIENT_THREADS");
    return std::max(1, env ? std::atoi(env) : 1);
}

LoadResult runLoad(const std::string& host, unsigned short port, int connections,
                   std::uint64_t requests, const std::function<Request(std::uint64_t)>& next,
                   const std::function<bool(const std::string&)>& accept, int depth) {
    const std::string hostHeader = host + ":" + std::to_string(port);
    std::vector<std::string> raw;
    raw.reserve(requests);
    for (std::uint64_t i = 0; i < requests; ++i)
        raw.push_back(serialise(next(i), hostHeader));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    const int threads = std::clamp(clientThreads(), 1, std::max(1, connections));
    std::mutex lock;
    std::atomic<std::uint64_t> counter{0};
    std::vector<std::unique_ptr<LoadThread>> loads;
    for (int t = 0; t < threads; ++t)
        loads.push_back(std::make_unique<LoadThread>(
            addr, connections / threads + (t < connections % threads ? 1 : 0), std::max(1, depth),
            raw, counter, accept, threads > 1 ? &lock : nullptr));
    const auto t0 = Clock::now();
    std::vector<std::thread> running;
    for (auto& l : loads)
        running.emplace_back([&l] { l->run(); });
    for (auto& th : running)
        th.join();
    LoadResult result;
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    for (auto& l : loads) {
        result.ok += l->result.ok;
        result.failed += l->result.failed;
        result.latenciesUs.insert(result.latenciesUs.end(), l->result.latenciesUs.begin(),
                                  l->result.latenciesUs.end());
    }
    const std::uint64_t unsent = requests - std::min(requests, counter.load());
    result.failed += unsent;
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
