#pragma once
// The discovery server's core (bilibili/discovery's registry, PROTOCOLS.md §1): apps and
// their instances, leases kept alive by renews, the eviction pass, self-protection and
// long-poll bookkeeping. Std-only and driven by an injectable Clock; thread-safe (one lock).
// Poll callbacks run outside the lock, on the thread of the call that answered them.

#include "models/discovery/Clock.h"
#include "models/discovery/DiscoveryConfig.h"
#include "models/discovery/Instance.h"
#include "models/discovery/LongPolls.h"
#include "models/discovery/SelfProtection.h"

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace regscope::discovery {

// Client-sent latest_timestamp / dirty_timestamp (Unix ns) must lie in [0, now + this]: a
// stamp further ahead would push an app's change stamp out of the clock's reach (and
// INT64_MAX would overflow the next bump). 0 means "not given".
inline constexpr std::int64_t kMaxStampAheadNs = 3'600'000'000'000; // 1 h

struct RegisterArgs {
    Instance instance; // timestamps are set by the registry
    std::int64_t latestTimestamp = 0;
    std::int64_t dirtyTimestamp = 0;
};

struct InstanceKey {
    std::string zone;
    std::string env;
    std::string appid;
    std::string hostname;
};

struct SetArgs {
    std::string zone;
    std::string env;
    std::string appid;
    std::vector<std::string> hostnames;
    std::vector<int> statuses;                                 // empty or one per hostname
    std::vector<std::map<std::string, std::string>> metadatas; // empty or one per hostname
};

struct PollArgs {
    std::string env;
    std::string zone;
    std::string hostname;
    std::vector<std::string> appids;
    std::vector<std::int64_t> latestTimestamps; // one per appid
};

// What the server shows on /metrics and the status endpoint.
struct RegistryStats {
    std::int64_t nowNs = 0;
    std::size_t apps = 0;
    std::size_t instances = 0;
    std::size_t instancesExpired = 0; // renew older than evictThreshold
    std::size_t parkedPolls = 0;
    std::int64_t renewsLastWindow = 0;
    std::int64_t renewsThisWindow = 0;
    std::int64_t expectedRenewsPerWindow = 0;
    std::int64_t threshold = 0;
    bool selfProtection = false;
    std::uint64_t registers = 0;
    std::uint64_t renews = 0;
    std::uint64_t cancels = 0;
    std::uint64_t evictions = 0;
    std::uint64_t evictionPasses = 0;
    std::int64_t lastEvictionPassNs = 0;
    std::int64_t nextEvictionPassNs = 0;
};

class DiscoveryRegistry {
public:
    DiscoveryRegistry(DiscoveryConfig config, const Clock& clock);

    std::expected<void, Error> registerInstance(RegisterArgs args);
    // replication: the renew comes from a peer; dirtyTimestamp is then compared (-404/-409).
    std::expected<Instance, Error> renew(const InstanceKey& key, bool replication = false,
                                         std::int64_t dirtyTimestamp = 0);
    // The same, handing the renewed instance to `renewed` under the lock instead of copying
    // it out (the server writes its JSON there).
    std::expected<void, Error> renew(const InstanceKey& key, bool replication,
                                     std::int64_t dirtyTimestamp,
                                     const std::function<void(const Instance&)>& renewed);
    std::expected<void, Error> cancel(const InstanceKey& key, std::int64_t latestTimestamp = 0);
    // status: bitmask 1 UP, 2 WAITING; zone empty: every zone.
    std::expected<InstanceInfo, Error> fetch(const std::string& env, const std::string& appid,
                                             const std::string& zone, int status) const;
    std::map<std::string, InstanceInfo> fetchs(const std::string& env,
                                               const std::vector<std::string>& appids,
                                               const std::string& zone, int status) const;
    std::map<std::string, std::vector<Instance>> fetchAll() const;
    // The same as JSON ({appid: [Instance]}), appended to out without copying instances.
    void appendFetchAllJson(std::string& out) const;
    // Bumped by every change a reply can show (register, renew, cancel, set, eviction):
    // replies built at the same generation are identical and can be shared.
    std::uint64_t generation() const;
    std::expected<void, Error> set(const SetArgs& args);

    // Answers at once (the callback runs before poll returns) when an app is newer than the
    // client's stamp or an appid is unknown (-404); otherwise parks until a change of one of
    // the appids or pollTimeout (-304). Returns the id of a parked poll.
    std::optional<PollId> poll(PollArgs args, PollCallback callback);
    // Forget a parked poll (its client went away). Its callback is not run.
    bool cancelPoll(PollId id);

    // Runs what is due at the clock's now: window roll + eviction pass, expected-renews
    // recompute, poll timeouts. Call it often (the server does every few milliseconds).
    void tick();

    RegistryStats stats() const;
    const DiscoveryConfig& config() const { return m_config; }

private:
    struct App {
        std::string env;
        std::string appid;
        std::map<std::string, std::map<std::string, Instance>> zones; // zone → hostname → it
        std::int64_t latestTimestamp = 0;
        std::size_t count = 0;
    };
    using Pending = std::vector<std::pair<PollCallback, PollAnswer>>;

    static std::string appKey(const std::string& env, const std::string& appid);
    // Hashes and compares std::string and string_view keys alike (lookups build no string).
    struct KeyHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view k) const {
            return std::hash<std::string_view>{}(k);
        }
    };
    App* findApp(const std::string& env, const std::string& appid);
    const App* findApp(const std::string& env, const std::string& appid) const;
    static void bumpLatest(App& app, std::int64_t stamp);
    std::expected<void, Error> checkStamp(const char* name, std::int64_t stamp,
                                          std::int64_t now) const;
    // Under the lock, before a new instance: the quotas, and room for a new app.
    std::expected<void, Error> makeRoomFor(const App* app, const std::string& appid);
    InstanceInfo infoOf(const App& app, const std::string& zone, int status) const;
    bool removeInstance(App& app, const std::string& zone, const std::string& hostname,
                        std::int64_t latestTimestamp);
    void wake(const App& app, Pending& out);
    void evictPass(std::int64_t now, Pending& out);
    static void run(Pending& pending);

    const DiscoveryConfig m_config;
    const Clock& m_clock;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, App, KeyHash, std::equal_to<>> m_apps;
    std::size_t m_instances = 0;
    SelfProtection m_guard;
    LongPolls m_polls;
    std::mt19937_64 m_rng;
    std::int64_t m_nextEvictNs;
    std::int64_t m_nextResetNs;
    std::int64_t m_lastEvictNs = 0;
    std::uint64_t m_registers = 0;
    std::uint64_t m_renews = 0;
    std::uint64_t m_cancels = 0;
    std::uint64_t m_evictions = 0;
    std::uint64_t m_evictionPasses = 0;
    std::uint64_t m_generation = 0;
};

} // namespace regscope::discovery
