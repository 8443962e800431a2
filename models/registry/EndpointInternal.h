#pragma once
// Internal to the debug endpoint (DebugEndpoint.cpp: activation, directory of registries,
// process facts; EndpointServer.cpp: the thread and its clients; EndpointEncode.cpp: frames).

#include "models/registry/DebugEndpoint.h"
#include "models/registry/EndpointProtocol.h"
#include "models/registry/RegistryCore.h"

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace regscope::registry::detail {

// Set in a child after fork(): nothing of the parent's endpoint runs or records there.
extern std::atomic<bool> gEndpointForked;
// Wakes the endpoint thread (once per burst: an eventfd write only when none is pending).
void WakeEndpoint();
void ClearWakePending();

// One registry's changes and audit records, appended by the observer on the writing (or, for
// deprecated lookups, the looking-up) thread and read by the endpoint thread. Bounded.
class EndpointFeed final : public Observer {
public:
    struct Item {
        std::uint64_t seq = 0;
        ChangeEvent event;
    };
    struct AuditItem {
        std::uint64_t seq = 0;
        AuditRecord record;
    };
    void OnChange(const ChangeEvent& e) override;

    std::mutex mutex;
    std::deque<Item> log; // at most protocol::kChangeLog, oldest first
    std::uint64_t nextSeq = 1;
    std::deque<AuditItem> audit; // at most protocol::kAuditTail
    std::uint64_t nextAuditSeq = 1;
    // Changes are kept only while a client is attached (the first state a client sees is a
    // snapshot); audit records always (the tail a client gets on attach).
    std::atomic<bool> recording{false};
    std::atomic<bool> dead{false}; // set in a child after fork(): record nothing
};

// A registry as the endpoint exposes it.
struct ExposedRegistry {
    std::uint64_t id = 0;             // unique in this process
    RegistryCore* registry = nullptr; // valid while !gone, under the directory mutex
    std::string name;                 // typeName, or "registry"; "#2"... for duplicates
    std::shared_ptr<EndpointFeed> feed;
    ObserverId observer = 0;
    bool gone = false;
    // The last snapshot taken, shared by clients that attach at the same generation.
    std::shared_ptr<const GenerationSnapshot> cached;
};

// The directory: every live registry, and the exposed ones while the endpoint runs.
struct Directory {
    std::mutex mutex;
    std::vector<RegistryCore*> all;
    std::vector<std::shared_ptr<ExposedRegistry>> exposed;
    std::uint64_t nextId = 1;
    std::uint64_t version = 1; // bumped when `exposed` changes
};
Directory& Dir();

// Facts for `hello`.
struct ProcessFacts {
    long pid = 0;
    unsigned uid = 0;
    std::string exe;
    std::vector<std::string> argv;
    std::int64_t startTimeMs = 0;
    std::string processName;
};
ProcessFacts ReadProcessFacts(const std::string& processName);

// Encoders (EndpointEncode.cpp): each returns one frame's JSON text.
std::string EncodeHello(const ProcessFacts& facts,
                        const std::vector<std::shared_ptr<ExposedRegistry>>& regs);
// Appends the frames of one snapshot chunk (entries [from, from + kSnapshotChunk)).
std::string EncodeSnapshotChunk(const std::string& registry, const GenerationSnapshot& snap,
                                std::size_t chunk, const std::string& reason);
// Empty when the event is not sent as a change (deprecated lookups).
std::string EncodeChange(const std::string& registry, const ChangeEvent& e);
std::string EncodeGone(const std::string& registry);
std::string EncodeMetrics(const std::string& registry, const MetricsSnapshot& m, std::int64_t tsMs);
std::string EncodeAudit(const std::string& registry, const std::vector<std::string>& lines);
std::string EncodeError(std::string_view code, std::string_view message);
std::string EncodePong(std::int64_t id, std::int64_t tsMs);
std::int64_t EpochMs(std::chrono::system_clock::time_point t);

// The server (EndpointServer.cpp).
class EndpointServer {
public:
    struct Config {
        int listenFd = -1;
        int wakeFd = -1;
        std::string path;
        debug::EndpointOptions options;
        ProcessFacts facts;
    };
    explicit EndpointServer(Config config);
    ~EndpointServer();
    void Run(); // the endpoint thread's body; returns after RequestStop()
    void RequestStop();
    std::size_t Clients() const { return clients_.load(std::memory_order_relaxed); }
    // After fork(), in the child: close every descriptor, touch nothing else.
    void CloseDescriptorsInChild();
    void SetProcessName(std::string name);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> clients_{0};
};

} // namespace regscope::registry::detail
