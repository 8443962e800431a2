#include "app/loader/FrameIo.h"

#include "connectors/loader/LoaderProtocol.h"

#include <cerrno>
#include <string>
#include <unistd.h>

namespace regscope::loader {
namespace {

bool readAll(int fd, char* data, size_t n) {
    while (n > 0) {
        const ssize_t got = ::read(fd, data, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        data += got;
        n -= static_cast<size_t>(got);
    }
    return true;
}

bool writeAll(int fd, const char* data, size_t n) {
    while (n > 0) {
        const ssize_t put = ::write(fd, data, n);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return false;
        data += put;
        n -= static_cast<size_t>(put);
    }
    return true;
}

} // namespace

std::optional<nlohmann::json> readFrame(int fd) {
    unsigned char header[4];
    if (!readAll(fd, reinterpret_cast<char*>(header), sizeof header))
        return std::nullopt;
    const uint32_t length = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                            (uint32_t{header[2]} << 8) | uint32_t{header[3]};
    if (length == 0 || length > kMaxFrameBytes)
        return std::nullopt;
    std::string body(length, '\0');
    if (!readAll(fd, body.data(), body.size()))
        return std::nullopt;
    auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object())
        return std::nullopt;
    return parsed;
}

bool writeFrame(int fd, const nlohmann::json& message) {
    const std::string body = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (body.size() > kMaxFrameBytes)
        return false;
    const auto length = static_cast<uint32_t>(body.size());
    std::string frame;
    frame.reserve(4 + body.size());
    frame.push_back(static_cast<char>((length >> 24) & 0xff));
    frame.push_back(static_cast<char>((length >> 16) & 0xff));
    frame.push_back(static_cast<char>((length >> 8) & 0xff));
    frame.push_back(static_cast<char>(length & 0xff));
    frame += body;
    return writeAll(fd, frame.data(), frame.size());
}

} // namespace regscope::loader
