// The endpoint thread: one poll loop for the listening socket, the wake eventfd and every
// client (docs/attach-protocol.md §3-5). Nothing here runs on a host thread.

#include "models/registry/EndpointInternal.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace regscope::registry::detail {

namespace {

using Clock = std::chrono::steady_clock;

// One registry as one client follows it.
struct Follow {
    std::shared_ptr<ExposedRegistry> reg;
    std::uint64_t seq = 0;        // next change-log sequence number to consider
    std::uint64_t generation = 0; // state changes at or below it are in the snapshot sent
    std::shared_ptr<const GenerationSnapshot> snap; // being sent, chunk by chunk
    std::size_t chunk = 0;
    std::string reason;
    std::uint64_t auditSeq = 0;
    Clock::time_point nextAudit{}; // audit frames at most every 100 ms per registry
    bool goneSent = false;
};

struct Client {
    int fd = -1;
    long pid = 0;
    unsigned uid = 0;
    enum class Phase { Handshake, Streaming, Closing } phase = Phase::Handshake;
    std::string line;
    protocol::FrameDecoder decoder{protocol::kMaxClientFrame};
    std::string out;
    std::size_t outOff = 0;
    Clock::time_point since = Clock::now();
    Clock::time_point lastProgress = Clock::now();
    std::vector<Follow> follows;
    std::uint64_t dirVersion = 0;
    std::uint64_t ownAuditSeq = 0;

    std::size_t Queued() const { return out.size() - outOff; }
    void Frame(std::string_view json) { protocol::AppendFrame(out, json); }
};

} // namespace

struct EndpointServer::Impl {
    Config config;
    std::vector<std::unique_ptr<Client>> clients;
    Clock::time_point nextMetrics = Clock::now() + protocol::kMetricsPeriod;
    std::mutex nameMutex;
    // The endpoint's own audit records (registry ""), kept for the tail.
    std::deque<std::pair<std::uint64_t, AuditRecord>> own;
    std::uint64_t nextOwnSeq = 1;

    void Audit(std::string who, std::string outcome, std::string detail) {
        AuditRecord r;
        r.time = std::chrono::system_clock::now();
        r.action = AuditAction::Attach;
        r.name = std::move(who);
        r.outcome = std::move(outcome);
        r.detail = std::move(detail);
        config.options.audit->Record(r);
        own.emplace_back(nextOwnSeq++, std::move(r));
        if (own.size() > protocol::kAuditTail)
            own.pop_front();
    }

    static std::string Who(const Client& c) {
        return "pid " + std::to_string(c.pid) + " uid " + std::to_string(c.uid);
    }

    void Accept();
    void Read(Client& c);
    void HandleLine(Client& c, std::string_view line);
    void HandleFrame(Client& c, const std::string& json);
    void StartStreaming(Client& c);
    void StartSnapshot(Follow& f, std::string reason);
    void SyncFollows(Client& c);
    void Pump(Client& c);
    void PumpFollow(Client& c, Follow& f);
    void Write(Client& c, Clock::time_point now);
    void Drop(Client& c, std::string_view code, const std::string& message);
    void Metrics();
    void CloseAll(std::string_view code, const std::string& message);
};

EndpointServer::EndpointServer(Config config)
    : impl_(std::make_unique<Impl>()) {
    impl_->config = std::move(config);
}

EndpointServer::~EndpointServer() {
    for (auto& c : impl_->clients)
        if (c->fd >= 0)
            ::close(c->fd);
    if (impl_->config.listenFd >= 0)
        ::close(impl_->config.listenFd);
}

void EndpointServer::RequestStop() {
    stop_.store(true);
}

void EndpointServer::SetProcessName(std::string name) {
    std::lock_guard lock(impl_->nameMutex);
    impl_->config.facts.processName = std::move(name);
}

void EndpointServer::CloseDescriptorsInChild() {
    for (auto& c : impl_->clients)
        if (c->fd >= 0)
            ::close(c->fd);
    if (impl_->config.listenFd >= 0)
        ::close(impl_->config.listenFd);
}

void EndpointServer::Run() {
    auto& m = *impl_;
    std::vector<pollfd> fds;
    while (!stop_.load()) {
        fds.clear();
        fds.push_back({m.config.listenFd, POLLIN, 0});
        fds.push_back({m.config.wakeFd, POLLIN, 0});
        for (auto& c : m.clients)
            fds.push_back({c->fd, static_cast<short>(POLLIN | (c->Queued() ? POLLOUT : 0)), 0});
        const auto now = Clock::now();
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(m.nextMetrics - now);
        wait = std::clamp(wait, std::chrono::milliseconds(0), std::chrono::milliseconds(200));
        ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
        if (stop_.load())
            break;
        if (fds[1].revents & POLLIN) {
            std::uint64_t n = 0;
            [[maybe_unused]] auto r = ::read(m.config.wakeFd, &n, sizeof n);
            ClearWakePending();
        }
        const std::size_t known = fds.size() - 2;
        for (std::size_t i = 0; i < known && i < m.clients.size(); ++i)
            if (fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR))
                m.Read(*m.clients[i]);
        if (fds[0].revents & POLLIN)
            m.Accept();
        if (Clock::now() >= m.nextMetrics) {
            m.Metrics();
            m.nextMetrics = Clock::now() + protocol::kMetricsPeriod;
        }
        const auto t = Clock::now();
        for (auto& c : m.clients) {
            if (c->fd < 0)
                continue;
            if (c->phase == Client::Phase::Handshake &&
                t - c->since > protocol::kHandshakeTimeout) {
                c->out += protocol::ServerRefusal("handshake timeout");
                m.Audit(Impl::Who(*c), "refused", "handshake timeout");
                c->phase = Client::Phase::Closing;
                c->since = t;
            }
            if (c->phase == Client::Phase::Streaming)
                m.Pump(*c);
            m.Write(*c, t);
        }
        std::erase_if(m.clients, [](const auto& c) { return c->fd < 0; });
        const bool any = std::any_of(m.clients.begin(), m.clients.end(), [](const auto& c) {
            return c->phase == Client::Phase::Streaming;
        });
        clients_.store(m.clients.size(), std::memory_order_relaxed);
        if (!any) { // nobody follows: writers stop recording changes
            auto& d = Dir();
            std::lock_guard lock(d.mutex);
            for (auto& e : d.exposed)
                if (e->feed->recording.exchange(false)) {
                    std::lock_guard feedLock(e->feed->mutex);
                    e->feed->log.clear();
                }
        }
    }
    m.CloseAll("shutting_down", "the host is stopping its debug endpoint");
    clients_.store(0);
}

void EndpointServer::Impl::Accept() {
    for (;;) {
        const int fd = ::accept4(config.listenFd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        auto c = std::make_unique<Client>();
        c->fd = fd;
        ucred cred{};
        socklen_t len = sizeof cred;
        const bool known = ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
        c->pid = known ? cred.pid : 0;
        c->uid = known ? cred.uid : ~0u;
        if (!known || (cred.uid != config.facts.uid && cred.uid != 0)) {
            const std::string reason = "permission denied: peer uid " + std::to_string(c->uid) +
                                       " (pid " + std::to_string(c->pid) +
                                       ") is not the host's uid " +
                                       std::to_string(config.facts.uid);
            c->out += protocol::ServerRefusal(reason);
            c->phase = Client::Phase::Closing;
            Audit(Who(*c), std::string(ToString(ErrorCode::PermissionDenied)), reason);
        }
        clients.push_back(std::move(c));
    }
}

void EndpointServer::Impl::Read(Client& c) {
    char buf[16384];
    for (;;) {
        const auto n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            if (c.phase == Client::Phase::Streaming)
                Audit(Who(c), "ok", "detached");
            ::close(c.fd);
            c.fd = -1;
            return;
        }
        if (n < 0)
            return;
        if (c.phase == Client::Phase::Closing)
            continue; // discard: we only flush our last words
        std::size_t used = 0;
        if (c.phase == Client::Phase::Handshake) {
            const std::string_view chunk(buf, static_cast<std::size_t>(n));
            const auto nl = chunk.find('\n');
            c.line.append(chunk.substr(0, nl));
            if (nl == std::string_view::npos) {
                if (c.line.size() >= protocol::kMaxLine)
                    HandleLine(c, c.line);
                continue;
            }
            HandleLine(c, c.line);
            used = nl + 1;
        }
        if (c.phase != Client::Phase::Streaming)
            continue;
        c.decoder.Feed(buf + used, static_cast<std::size_t>(n) - used);
        for (;;) {
            auto frame = c.decoder.Next();
            if (!frame) {
                Drop(c, "frame_too_large", frame.error());
                break;
            }
            if (!*frame)
                break;
            HandleFrame(c, **frame);
            if (c.phase != Client::Phase::Streaming)
                break;
        }
    }
}

void EndpointServer::Impl::HandleLine(Client& c, std::string_view line) {
    if (auto ok = protocol::CheckClientHello(line, config.facts.pid); !ok) {
        c.out += protocol::ServerRefusal(ok.error());
        c.phase = Client::Phase::Closing;
        c.since = Clock::now();
        Audit(Who(c), "refused", ok.error());
        return;
    }
    c.out += protocol::ServerOk();
    StartStreaming(c);
}

void EndpointServer::Impl::HandleFrame(Client& c, const std::string& json) {
    const auto frame = protocol::ParseClientFrame(json);
    if (!frame) {
        Drop(c, "malformed_frame", frame.error());
        return;
    }
    switch (frame->type) {
    case protocol::ClientFrame::Type::Ping:
        c.Frame(EncodePong(frame->id, EpochMs(std::chrono::system_clock::now())));
        break;
    case protocol::ClientFrame::Type::Resync: {
        auto& d = Dir();
        std::lock_guard lock(d.mutex);
        for (auto& f : c.follows)
            if (f.reg->name == frame->registry && !f.reg->gone)
                StartSnapshot(f, "requested");
        break;
    }
    case protocol::ClientFrame::Type::Bye:
        Audit(Who(c), "ok", "detached (bye)");
        c.phase = Client::Phase::Closing;
        c.since = Clock::now();
        break;
    case protocol::ClientFrame::Type::Unknown:
        c.Frame(EncodeError("unknown_type", "unknown frame type \"" + frame->typeName + "\""));
        break;
    }
}

void EndpointServer::Impl::StartStreaming(Client& c) {
    c.phase = Client::Phase::Streaming;
    auto& d = Dir();
    std::lock_guard lock(d.mutex);
    {
        std::lock_guard nameLock(nameMutex);
        c.Frame(EncodeHello(config.facts, d.exposed));
    }
    Audit(Who(c), "ok", "attached");
    c.ownAuditSeq = own.empty() ? nextOwnSeq : own.front().first;
    c.dirVersion = 0; // SyncFollows adds every registry, with its snapshot
}

// Called with the directory mutex held.
void EndpointServer::Impl::StartSnapshot(Follow& f, std::string reason) {
    auto& feed = *f.reg->feed;
    feed.recording.store(true, std::memory_order_seq_cst);
    {
        std::lock_guard lock(feed.mutex);
        f.seq = feed.nextSeq; // changes from here on; those already in the snapshot are skipped
    }
    if (f.reg->gone || !f.reg->registry)
        return;
    if (!f.reg->cached || f.reg->cached->generation != f.reg->registry->Generation())
        f.reg->cached =
            std::make_shared<GenerationSnapshot>(f.reg->registry->SnapshotWithGeneration(false));
    f.snap = f.reg->cached;
    f.generation = f.snap->generation;
    f.chunk = 0;
    f.reason = std::move(reason);
}

void EndpointServer::Impl::SyncFollows(Client& c) {
    auto& d = Dir();
    std::lock_guard lock(d.mutex);
    if (c.dirVersion == d.version)
        return;
    c.dirVersion = d.version;
    for (auto& f : c.follows)
        if (f.reg->gone && !f.goneSent) {
            c.Frame(EncodeGone(f.reg->name));
            f.goneSent = true;
        }
    std::erase_if(c.follows, [](const Follow& f) { return f.goneSent; });
    for (const auto& e : d.exposed) {
        if (std::any_of(c.follows.begin(), c.follows.end(),
                        [&](const Follow& f) { return f.reg == e; }))
            continue;
        Follow f;
        f.reg = e;
        {
            std::lock_guard feedLock(e->feed->mutex);
            f.auditSeq =
                e->feed->audit.empty() ? e->feed->nextAuditSeq : e->feed->audit.front().seq;
        }
        StartSnapshot(f, "attach");
        c.follows.push_back(std::move(f));
    }
}

void EndpointServer::Impl::Pump(Client& c) {
    SyncFollows(c);
    const std::size_t bound = config.options.clientQueueBytes;
    for (auto& f : c.follows) {
        if (c.Queued() >= bound)
            break;
        PumpFollow(c, f);
    }
    if (c.Queued() < bound && !own.empty() && own.back().first >= c.ownAuditSeq) {
        std::vector<std::string> lines;
        for (const auto& [seq, r] : own)
            if (seq >= c.ownAuditSeq)
                lines.push_back(ToJsonLine(r));
        c.ownAuditSeq = nextOwnSeq;
        c.Frame(EncodeAudit("", lines));
    }
}

void EndpointServer::Impl::PumpFollow(Client& c, Follow& f) {
    const std::size_t bound = config.options.clientQueueBytes;
    auto& feed = *f.reg->feed;
    while (c.Queued() < bound) {
        if (f.snap) { // no change of this registry between chunk 0 and the last
            const std::size_t chunks =
                std::max<std::size_t>(1, (f.snap->entries.size() + protocol::kSnapshotChunk - 1) /
                                             protocol::kSnapshotChunk);
            c.Frame(EncodeSnapshotChunk(f.reg->name, *f.snap, f.chunk, f.reason));
            if (++f.chunk >= chunks)
                f.snap.reset();
            continue;
        }
        std::vector<EndpointFeed::Item> items;
        std::vector<std::string> audit;
        bool overrun = false;
        {
            std::lock_guard lock(feed.mutex);
            // Sequence numbers count every change, recorded or not: a hole means a loss.
            const std::uint64_t first = feed.log.empty() ? feed.nextSeq : feed.log.front().seq;
            if (f.seq < first) {
                overrun = true;
            } else {
                const auto skip = static_cast<std::size_t>(f.seq - first);
                for (std::size_t i = skip; i < feed.log.size() && items.size() < 512; ++i)
                    items.push_back(feed.log[i]);
            }
            if (const auto now = Clock::now();
                now >= f.nextAudit && f.auditSeq < feed.nextAuditSeq) {
                for (const auto& a : feed.audit)
                    if (a.seq >= f.auditSeq)
                        audit.push_back(ToJsonLine(a.record));
                f.auditSeq = feed.nextAuditSeq;
                f.nextAudit = now + std::chrono::milliseconds(100);
            }
        }
        if (!audit.empty())
            c.Frame(EncodeAudit(f.reg->name, audit));
        if (overrun) {
            auto& d = Dir();
            std::lock_guard lock(d.mutex);
            StartSnapshot(f, "resync");
            if (!f.snap)
                return;
            continue;
        }
        if (items.empty())
            return;
        for (const auto& item : items) {
            f.seq = item.seq + 1;
            const auto& e = item.event;
            const bool state = e.kind != ChangeKind::Rejected;
            if (state && e.generation <= f.generation)
                continue; // already in the snapshot this client got
            c.Frame(EncodeChange(f.reg->name, e));
            if (e.kind == ChangeKind::Reloaded) {
                auto& d = Dir();
                std::lock_guard lock(d.mutex);
                StartSnapshot(f, "reload");
                break;
            }
        }
    }
}

void EndpointServer::Impl::Write(Client& c, Clock::time_point now) {
    if (c.fd < 0)
        return;
    while (c.Queued() > 0) {
        const auto n = ::send(c.fd, c.out.data() + c.outOff, c.Queued(), MSG_NOSIGNAL);
        if (n > 0) {
            c.outOff += static_cast<std::size_t>(n);
            c.lastProgress = now;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        ::close(c.fd); // the peer is gone
        c.fd = -1;
        return;
    }
    if (c.Queued() == 0) {
        c.out.clear();
        c.outOff = 0;
        c.lastProgress = now;
        if (c.phase == Client::Phase::Closing) {
            ::shutdown(c.fd, SHUT_WR);
            ::close(c.fd);
            c.fd = -1;
        }
        return;
    }
    if (c.outOff > (1u << 20) && c.outOff * 2 > c.out.size()) {
        c.out.erase(0, c.outOff);
        c.outOff = 0;
    }
    const auto stalled = now - c.lastProgress;
    if (c.phase == Client::Phase::Closing && now - c.since > std::chrono::seconds(1)) {
        ::close(c.fd); // last words not taken within a second: close anyway
        c.fd = -1;
    } else if (c.phase == Client::Phase::Streaming && stalled > config.options.stallTimeout) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(stalled).count();
        Drop(c, "slow_client",
             "dropped: " + std::to_string(c.Queued()) + " bytes queued and nothing read for " +
                 std::to_string(ms) + " ms");
    }
}

void EndpointServer::Impl::Drop(Client& c, std::string_view code, const std::string& message) {
    Audit(Who(c), std::string(code), message);
    // Best effort: the error goes after what is queued, or in place of it when the client has
    // stopped reading (then it will most likely never see it).
    if (code == "slow_client") {
        c.out.clear();
        c.outOff = 0;
    }
    c.Frame(EncodeError(code, message));
    c.phase = Client::Phase::Closing;
    c.since = Clock::now();
    const auto n = ::send(c.fd, c.out.data() + c.outOff, c.Queued(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0)
        c.outOff += static_cast<std::size_t>(n);
    if (code == "slow_client") {
        ::close(c.fd);
        c.fd = -1;
    }
}

void EndpointServer::Impl::Metrics() {
    std::vector<std::pair<std::shared_ptr<ExposedRegistry>, std::string>> frames;
    {
        auto& d = Dir();
        std::lock_guard lock(d.mutex);
        if (std::none_of(clients.begin(), clients.end(),
                         [](const auto& c) { return c->phase == Client::Phase::Streaming; }))
            return;
        const auto ts = EpochMs(std::chrono::system_clock::now());
        for (const auto& e : d.exposed)
            if (!e->gone && e->registry)
                frames.emplace_back(e, EncodeMetrics(e->name, e->registry->Metrics(), ts));
    }
    for (auto& c : clients) {
        if (c->fd < 0 || c->phase != Client::Phase::Streaming ||
            c->Queued() >= config.options.clientQueueBytes)
            continue; // a sample is skipped for a client that is behind: the next one comes
        for (const auto& [reg, json] : frames) {
            const bool ready =
                std::any_of(c->follows.begin(), c->follows.end(),
                            [&](const Follow& f) { return f.reg == reg && !f.snap; });
            if (ready)
                c->Frame(json);
        }
    }
}

void EndpointServer::Impl::CloseAll(std::string_view code, const std::string& message) {
    for (auto& c : clients) {
        if (c->fd < 0)
            continue;
        if (c->phase == Client::Phase::Streaming) {
            c->Frame(EncodeError(code, message));
            // One last non-blocking attempt; a client that is not reading loses it.
            ::send(c->fd, c->out.data() + c->outOff, c->Queued(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        ::close(c->fd);
        c->fd = -1;
    }
    clients.clear();
}

} // namespace regscope::registry::detail
