#pragma once
// A plain attach-protocol client for tests and benchmarks (POSIX socket + nlohmann_json):
// connects, does the handshake, reads frames with a deadline, and keeps the state a client
// builds from snapshot and change frames. Not the app's connector: a second, independent
// reading of docs/attach-protocol.md.

#include "models/registry/EndpointProtocol.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <poll.h>
#include <set>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <tuple>
#include <unistd.h>

namespace attachtest {

namespace proto = regscope::registry::protocol;
using Clock = std::chrono::steady_clock;
using Key = std::tuple<std::string, std::string, std::string>; // tenant, name, version

struct RegistryState {
    std::map<Key, nlohmann::json> entries;
    std::uint64_t generation = 0;
    bool snapshotDone = false;
    std::uint64_t snapshots = 0;
    std::uint64_t resyncs = 0;
    std::uint64_t changes = 0;
    std::uint64_t lastChangeGeneration = 0;
    bool orderViolated = false; // a change of a lower generation after a higher one
    bool gone = false;
    std::map<Key, nlohmann::json> building;
};

class Client {
public:
    Client() = default;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    ~Client() { Close(); }

    // Connects; returns an error text on failure.
    std::optional<std::string> Connect(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            return std::string("connect: ") + std::strerror(errno);
        return std::nullopt;
    }
    bool SendRaw(std::string_view bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(bytes.size());
    }
    // The server's line (without '\n'), or nullopt at EOF / timeout.
    std::optional<std::string> ReadLine(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            if (auto nl = buf_.find('\n'); nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return line;
            }
            if (!Fill(deadline))
                return std::nullopt;
        }
    }
    // Sends our hello and checks the answer; the error is the message a user would see.
    std::optional<std::string>
    Handshake(std::chrono::milliseconds timeout = std::chrono::seconds(5),
              int version = proto::kVersion) {
        const bool sent = SendRaw(proto::ClientHello(version));
        auto line = ReadLine(timeout); // a refusal may have come before our line went out
        if (!line && !sent)
            return std::string("send failed");
        if (!line)
            return std::string("no answer");
        if (auto ok = proto::CheckServerAnswer(*line); !ok)
            return ok.error();
        return std::nullopt;
    }
    // The next frame, nullopt at EOF or timeout (Eof() tells which).
    std::optional<nlohmann::json> ReadFrame(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            if (buf_.size() >= 4) {
                const auto* p = reinterpret_cast<const unsigned char*>(buf_.data());
                const std::size_t n = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                                      (std::size_t{p[2]} << 8) | p[3];
                if (buf_.size() >= 4 + n) {
                    auto j = nlohmann::json::parse(buf_.begin() + 4, buf_.begin() + 4 + long(n));
                    buf_.erase(0, 4 + n);
                    ++frames_;
                    return j;
                }
            }
            if (!Fill(deadline))
                return std::nullopt;
        }
    }
    // Reads and applies frames until pred() holds; false on EOF or timeout.
    template <typename Pred>
    bool PumpUntil(Pred pred, std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        while (!pred()) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0)
                return false;
            auto f = ReadFrame(left);
            if (!f)
                return false;
            Apply(*f);
        }
        return true;
    }
    void Apply(const nlohmann::json& f) {
        const std::string type = f.value("type", "");
        if (type == "hello") {
            hello = f;
        } else if (type == "snapshot") {
            auto& r = registries[f["registry"].get<std::string>()];
            if (f["chunk"].get<std::uint64_t>() == 0)
                r.building.clear();
            for (const auto& e : f["entries"])
                r.building[KeyOf(e)] = e;
            if (f["last"].get<bool>()) {
                r.entries = std::move(r.building);
                r.building.clear();
                r.generation = f["generation"].get<std::uint64_t>();
                r.snapshotDone = true;
                ++r.snapshots;
                if (f["resync"].get<bool>())
                    ++r.resyncs;
            }
        } else if (type == "change") {
            auto& r = registries[f["registry"].get<std::string>()];
            const std::string op = f["op"];
            const auto gen = f["generation"].get<std::uint64_t>();
            if (op != "rejected" && op != "gone") {
                if (gen < r.lastChangeGeneration)
                    r.orderViolated = true;
                r.lastChangeGeneration = gen;
                r.generation = std::max(r.generation, gen);
                ++r.changes;
            }
            if (op == "upsert" || op == "alias")
                r.entries[KeyOf(f["entry"])] = f["entry"];
            else if (op == "remove")
                r.entries.erase(KeyOf(f["entry"]));
            else if (op == "gone")
                r.gone = true;
        } else if (type == "metrics") {
            ++metrics;
            lastMetrics = f;
        } else if (type == "audit") {
            for (const auto& l : f["lines"])
                auditLines.push_back(l.get<std::string>());
        } else if (type == "error") {
            lastError = f;
        }
    }
    static Key KeyOf(const nlohmann::json& e) {
        return {e.value("tenant", ""), e.value("name", ""), e.value("version", "")};
    }
    bool Eof() const { return eof_; }
    int Fd() const { return fd_; }
    std::uint64_t Frames() const { return frames_; }
    std::uint64_t BytesRead() const { return bytes_; }
    void Close() {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

    nlohmann::json hello;
    std::map<std::string, RegistryState> registries;
    std::uint64_t metrics = 0;
    nlohmann::json lastMetrics;
    nlohmann::json lastError;
    std::vector<std::string> auditLines;

private:
    bool Fill(Clock::time_point deadline) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            return false;
        char tmp[65536];
        const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        bytes_ += static_cast<std::uint64_t>(n);
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }
    int fd_ = -1;
    std::string buf_;
    bool eof_ = false;
    std::uint64_t frames_ = 0;
    std::uint64_t bytes_ = 0;
};

} // namespace attachtest
