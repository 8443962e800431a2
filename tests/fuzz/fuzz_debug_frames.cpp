// Both ends of the attach protocol's debug-endpoint frames (docs/attach-protocol.md).
// The first byte picks the side, the second how the bytes arrive (chunk size); the rest is the
// stream.
// - Host side (even): what a local client sends to the library's endpoint: the handshake line
//   (protocol::CheckClientHello), then 4-byte length-prefixed frames (protocol::FrameDecoder,
//   fed in chunks) parsed by protocol::ParseClientFrame. Every frame decoded re-encodes to the
//   bytes it came from; no input may throw (an exception would end the host program).
// - App side (odd): what a host sends to regscope, over a real Unix socket: a thread plays the
//   host, AttachSocket::open checks its answer line, nextFrame() decodes its frames, and each
//   goes through the connector's decoders (decodeHello, decodeEntry, appendChange,
//   MetricsMerger) as AttachWorker does.
#include "connectors/attach/AttachDecode.h"
#include "connectors/attach/AttachSocket.h"
#include "models/registry/EndpointProtocol.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace proto = regscope::registry::protocol;
using namespace regscope;

namespace {

void hostSide(std::string_view stream, std::size_t chunk) {
    const auto nl = stream.find('\n');
    const std::string_view line = stream.substr(0, std::min(nl, proto::kMaxLine));
    if (!proto::CheckClientHello(line, 4242) || nl == std::string_view::npos)
        return; // refused: the host closes
    std::string_view rest = stream.substr(nl + 1);
    proto::FrameDecoder decoder(proto::kMaxClientFrame);
    std::string reencoded;
    std::size_t fed = 0;
    while (fed < rest.size()) {
        const std::size_t n = std::min(chunk, rest.size() - fed);
        decoder.Feed(rest.data() + fed, n);
        fed += n;
        for (;;) {
            auto frame = decoder.Next();
            if (!frame)
                return; // dropped: frame_too_large
            if (!*frame)
                break;
            proto::AppendFrame(reencoded, **frame);
            const auto parsed = proto::ParseClientFrame(**frame);
            if (parsed && parsed->type == proto::ClientFrame::Type::Unknown &&
                (parsed->typeName == "ping" || parsed->typeName == "bye" ||
                 parsed->typeName == "resync"))
                std::abort();
        }
    }
    if (rest.substr(0, reencoded.size()) != reencoded)
        std::abort(); // the decoder handed out other bytes than it was fed
}

// The listening socket the host thread answers on, made once.
struct Listener {
    std::string path;
    int fd = -1;
    Listener() {
        char dir[] = "/tmp/fuzz-debug-frames-XXXXXX";
        if (!::mkdtemp(dir))
            std::abort();
        path = std::string(dir) + "/host.sock";
        fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.copy(addr.sun_path, sizeof addr.sun_path - 1);
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(fd, 4) != 0)
            std::abort();
    }
};

void decodeAsTheWorkerDoes(const QJsonObject& frame, attach::MetricsMerger& metrics) {
    const QString type = frame.value(u"type").toString();
    if (type == u"hello") {
        const attach::HostInfo host = attach::decodeHello(frame);
        (void)host.label();
        (void)host.toJson(QStringLiteral("/run/x.sock"));
    } else if (type == u"snapshot") {
        const QString registry = frame.value(u"registry").toString();
        for (const QJsonValue& v : frame.value(u"entries").toArray())
            (void)recordId(attach::decodeEntry(v.toObject(), registry));
    } else if (type == u"change") {
        EventBatch events;
        (void)attach::appendChange(frame, &events);
    } else if (type == u"metrics") {
        (void)metrics.add(frame, 2);
    } else if (type == u"audit") {
        for (const QJsonValue& line : frame.value(u"lines").toArray())
            (void)QJsonDocument::fromJson(line.toString().toUtf8()).object();
    }
}

void appSide(std::string_view stream) {
    static Listener listener;
    std::thread host([&] {
        const int c = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0)
            return;
        char hello[600];
        (void)::recv(c, hello, sizeof hello, 0); // the client's line
        for (std::size_t done = 0; done < stream.size();) {
            const ssize_t n = ::send(c, stream.data() + done, stream.size() - done, MSG_NOSIGNAL);
            if (n <= 0)
                break; // the client closed (it refused the answer)
            done += static_cast<std::size_t>(n);
        }
        ::close(c);
    });
    auto socket =
        attach::AttachSocket::open(QString::fromStdString(listener.path), QDeadlineTimer(5000));
    if (socket) {
        attach::MetricsMerger metrics;
        for (QDeadlineTimer deadline(5000); !deadline.hasExpired();) {
            const auto read = socket->readAvailable();
            bool ended = !read || !socket->isOpen();
            while (auto frame = socket->nextFrame()) {
                if (!*frame) {
                    ended = true;
                    break;
                }
                decodeAsTheWorkerDoes(**frame, metrics);
            }
            if (ended)
                break;
            socket->waitReadable(QDeadlineTimer(100));
        }
    }
    socket = {};
    host.join();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2)
        return 0;
    const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
    if (data[0] % 2 == 0)
        hostSide(stream, std::size_t{data[1]} % 61 + 1);
    else
        appSide(stream);
    return 0;
}
