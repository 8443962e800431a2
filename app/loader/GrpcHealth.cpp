// grpc.health.v1.Health/Check over a Unix socket, spoken by hand: an HTTP/2 preface, one
// HEADERS frame (HPACK literals, no Huffman, no dynamic table), one DATA frame with the
// request, then frames are read until the DATA with the answer or the end of the stream.
// Small on purpose: gRPC itself stays in connectors/etcd, and this only ever asks one thing.

#include "app/loader/GoPluginProbe.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace regscope::loader {
namespace {

constexpr std::uint8_t kData = 0x0, kHeaders = 0x1, kRstStream = 0x3, kSettings = 0x4, kPing = 0x6,
                       kGoAway = 0x7;
constexpr std::uint8_t kEndStream = 0x1, kEndHeaders = 0x4, kAck = 0x1;
constexpr std::size_t kMaxFrame = 1u << 20;

std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                  const std::string& payload) {
    std::string out;
    const auto n = static_cast<std::uint32_t>(payload.size());
    out += static_cast<char>((n >> 16) & 0xff);
    out += static_cast<char>((n >> 8) & 0xff);
    out += static_cast<char>(n & 0xff);
    out += static_cast<char>(type);
    out += static_cast<char>(flags);
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>((stream >> shift) & 0xff);
    return out + payload;
}

// HPACK "literal header field without indexing", name from the static table (index < 15
// fits the 4-bit prefix; content-type is 31) or a literal name (index 0).
void literal(std::string& block, unsigned nameIndex, const std::string& name,
             const std::string& value) {
    if (nameIndex < 15) {
        block += static_cast<char>(nameIndex);
    } else {
        block += static_cast<char>(0x0f);
        block += static_cast<char>(nameIndex - 15);
    }
    if (nameIndex == 0) {
        block += static_cast<char>(name.size());
        block += name;
    }
    block += static_cast<char>(value.size()); // every value here is < 127 bytes
    block += value;
}

struct Deadline {
    std::chrono::steady_clock::time_point end;
    int remainingMs() const {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        return left.count() > 0 ? static_cast<int>(left.count()) : 0;
    }
};

bool sendAll(int fd, const std::string& bytes) {
    for (std::size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool readExactly(int fd, std::string& out, std::size_t n, const Deadline& deadline) {
    out.clear();
    while (out.size() < n) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, deadline.remainingMs()) <= 0)
            return false;
        char buf[16384];
        const ssize_t got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        out.append(buf, static_cast<std::size_t>(got));
    }
    return true;
}

const char* statusName(int status) {
    switch (status) {
    case 0:
        return "UNKNOWN";
    case 1:
        return "SERVING";
    case 2:
        return "NOT_SERVING";
    case 3:
        return "SERVICE_UNKNOWN";
    default:
        return "unrecognised";
    }
}

// Preface, SETTINGS, HEADERS and DATA (HealthCheckRequest{service}) of stream 1.
std::string healthRequest(const std::string& service) {
    std::string headers;
    headers += static_cast<char>(0x83); // :method POST (static 3)
    headers += static_cast<char>(0x86); // :scheme http (static 6)
    literal(headers, 4, {}, "/grpc.health.v1.Health/Check");
    literal(headers, 1, {}, "localhost");
    literal(headers, 31, {}, "application/grpc");
    literal(headers, 0, "te", "trailers");
    // HealthCheckRequest{service = 1}: one length-delimited field.
    std::string message;
    if (!service.empty()) {
        message += static_cast<char>(0x0a);
        message += static_cast<char>(service.size());
        message += service;
    }
    std::string grpc(5, '\0');
    grpc[4] = static_cast<char>(message.size());
    grpc += message;
    return std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + frame(kSettings, 0, 0, {}) +
           frame(kHeaders, kEndHeaders, 1, headers) + frame(kData, kEndStream, 1, grpc);
}

// Frames until the answer on stream 1: fills out["status"] or out["error"].
void readAnswer(int fd, const Deadline& deadline, nlohmann::json& out) {
    std::string head, payload;
    for (;;) {
        if (!readExactly(fd, head, 9, deadline)) {
            out["error"] = deadline.remainingMs() == 0 ? "no answer in time"
                                                       : "the connection closed before an answer";
            break;
        }
        const std::size_t len = (std::size_t(std::uint8_t(head[0])) << 16) |
                                (std::size_t(std::uint8_t(head[1])) << 8) | std::uint8_t(head[2]);
        const auto type = static_cast<std::uint8_t>(head[3]);
        const auto flags = static_cast<std::uint8_t>(head[4]);
        const std::uint32_t stream = ((std::uint32_t(std::uint8_t(head[5])) & 0x7f) << 24) |
                                     (std::uint32_t(std::uint8_t(head[6])) << 16) |
                                     (std::uint32_t(std::uint8_t(head[7])) << 8) |
                                     std::uint8_t(head[8]);
        if (len > kMaxFrame || !readExactly(fd, payload, len, deadline)) {
            out["error"] = "a malformed HTTP/2 frame";
            break;
        }
        if (type == kSettings && !(flags & kAck)) {
            sendAll(fd, frame(kSettings, kAck, 0, {}));
        } else if (type == kPing && !(flags & kAck)) {
            sendAll(fd, frame(kPing, kAck, 0, payload));
        } else if (type == kData && stream == 1 && payload.size() >= 5) {
            // HealthCheckResponse{status = 1 (enum)}: 0x08 <varint>; absent means UNKNOWN.
            const std::string body = payload.substr(5);
            const int status = body.size() >= 2 && body[0] == 0x08 ? std::uint8_t(body[1]) : 0;
            out["status"] = statusName(status);
            break;
        } else if ((type == kHeaders && stream == 1 && (flags & kEndStream)) ||
                   (type == kRstStream && stream == 1) || type == kGoAway) {
            out["error"] = "the plugin ended the call without a health status (no "
                           "grpc.health.v1 service?)";
            break;
        }
    }
}

} // namespace

nlohmann::json grpcHealthCheck(const std::string& socketPath, const std::string& service,
                               int timeoutMs) {
    nlohmann::json out = {{"service", service}, {"status", nullptr}};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socketPath.size() >= sizeof addr.sun_path) {
        out["error"] = "socket path too long";
        return out;
    }
    std::memcpy(addr.sun_path, socketPath.c_str(), socketPath.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        out["error"] = std::string("connect: ") + std::strerror(errno);
        if (fd >= 0)
            ::close(fd);
        return out;
    }
    const Deadline deadline{std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(timeoutMs)};
    const std::string request = healthRequest(service);
    if (!sendAll(fd, request)) {
        out["error"] = "the plugin closed the connection";
        ::close(fd);
        return out;
    }
    readAnswer(fd, deadline, out);
    ::close(fd);
    return out;
}

} // namespace regscope::loader
