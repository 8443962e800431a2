#include "app/registrator/HttpClient.h"

#include "models/UniqueFd.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace regscope::registrator {

namespace {

using Clock = std::chrono::steady_clock;

int remainingMs(Clock::time_point end) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for fd to become ready for events; false on timeout.
bool waitFor(int fd, short events, Clock::time_point end) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int ms = remainingMs(end);
        if (ms == 0)
            return false;
        const int r = ::poll(&p, 1, ms);
        if (r > 0)
            return true;
        if (r == 0)
            return false;
        if (errno != EINTR)
            return false;
    }
}

std::expected<int, std::string> connectTo(const HttpUrl& url, Clock::time_point end) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (const int rc = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &res); rc != 0)
        return std::unexpected("cannot resolve " + url.host + ": " + gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
    std::string lastError = "no address";
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                ai->ai_protocol);
        if (fd < 0)
            continue;
        if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            return fd;
        if (errno == EINPROGRESS && waitFor(fd, POLLOUT, end)) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err == 0)
                return fd;
            lastError = std::strerror(err);
        } else {
            lastError = errno == EINPROGRESS ? "connect timed out" : std::strerror(errno);
        }
        ::close(fd);
    }
    return std::unexpected("cannot connect to " + url.host + ":" + url.port + ": " + lastError);
}

std::expected<std::string, std::string> dechunk(const std::string& in) {
    std::string out;
    std::size_t pos = 0;
    for (;;) {
        const auto eol = in.find("\r\n", pos);
        if (eol == std::string::npos)
            return std::unexpected(std::string("truncated chunked body"));
        const auto size = std::strtoul(in.substr(pos, eol - pos).c_str(), nullptr, 16);
        pos = eol + 2;
        if (size == 0)
            return out;
        if (pos + size > in.size())
            return std::unexpected(std::string("truncated chunked body"));
        out.append(in, pos, size);
        pos += size + 2;
    }
}

} // namespace

std::expected<HttpUrl, std::string> parseHttpUrl(const std::string& url) {
    constexpr std::string_view scheme = "http://";
    if (!url.starts_with(scheme))
        return std::unexpected("only http:// URLs are supported, got " + url);
    std::string rest = url.substr(scheme.size());
    HttpUrl out;
    const auto slash = rest.find('/');
    if (slash != std::string::npos) {
        out.basePath = rest.substr(slash);
        while (!out.basePath.empty() && out.basePath.back() == '/')
            out.basePath.pop_back();
        rest = rest.substr(0, slash);
    }
    const auto colon = rest.rfind(':');
    if (colon != std::string::npos) {
        out.host = rest.substr(0, colon);
        out.port = rest.substr(colon + 1);
    } else {
        out.host = rest;
    }
    if (out.host.empty() || out.port.empty())
        return std::unexpected("bad URL " + url);
    return out;
}

std::string formEncode(const std::string& value) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : value) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::expected<HttpResponse, std::string> httpPostForm(const HttpUrl& url, const std::string& path,
                                                      const std::string& form,
                                                      std::chrono::milliseconds deadline,
                                                      std::size_t maxReply) {
    const auto end = Clock::now() + deadline;
    auto fd = connectTo(url, end);
    if (!fd)
        return std::unexpected(fd.error());
    UniqueFd sock(*fd);
    std::string req = "POST " + url.basePath + path + " HTTP/1.1\r\nHost: " + url.host + ":" +
                      url.port +
                      "\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      "Connection: close\r\nUser-Agent: regscope-registrator\r\nContent-Length: " +
                      std::to_string(form.size()) + "\r\n\r\n" + form;
    std::size_t sent = 0;
    while (sent < req.size()) {
        const auto n = ::send(sock.get(), req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && waitFor(sock.get(), POLLOUT, end))
            continue;
        return std::unexpected(std::string("send failed: ") +
                               (n < 0 && errno != EAGAIN ? std::strerror(errno) : "timed out"));
    }
    std::string reply;
    char buf[8192];
    for (;;) {
        const auto n = ::recv(sock.get(), buf, sizeof buf, 0);
        if (n > 0) {
            reply.append(buf, static_cast<std::size_t>(n));
            if (reply.size() > maxReply)
                return std::unexpected("reply larger than " + std::to_string(maxReply) + " bytes");
            continue;
        }
        if (n == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN && waitFor(sock.get(), POLLIN, end))
            continue;
        return std::unexpected(std::string("receive failed: ") +
                               (errno == EAGAIN ? "timed out" : std::strerror(errno)));
    }
    const auto headerEnd = reply.find("\r\n\r\n");
    if (!reply.starts_with("HTTP/1.") || headerEnd == std::string::npos || reply.size() < 12)
        return std::unexpected(std::string("not an HTTP reply"));
    HttpResponse out;
    out.status = std::atoi(reply.c_str() + 9);
    std::string headers = reply.substr(0, headerEnd);
    for (char& c : headers)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.body = reply.substr(headerEnd + 4);
    if (headers.find("transfer-encoding: chunked") != std::string::npos) {
        auto body = dechunk(out.body);
        if (!body)
            return std::unexpected(body.error());
        out.body = std::move(*body);
    }
    return out;
}

} // namespace regscope::registrator
