#include "models/discovery/DiscoveryRegistry.h"

#include "models/discovery/JsonWriter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace regscope::discovery {

namespace {

std::int64_t renewsPerInstancePerWindow(const DiscoveryConfig& c) {
    // The reference hard-codes 2 (a 60 s window over a 30 s renew interval).
    if (c.renewInterval.count() <= 0)
        return 2;
    return std::max<std::int64_t>(1, c.evictInterval.count() / c.renewInterval.count());
}

std::uint64_t seedOf(const DiscoveryConfig& c) {
    if (c.seed != 0)
        return c.seed;
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

Error notFound(std::string what) {
    return Error{Code::NotFound, std::move(what)};
}

} // namespace

DiscoveryRegistry::DiscoveryRegistry(DiscoveryConfig config, const Clock& clock)
    : m_config(std::move(config))
    , m_clock(clock)
    , m_guard(m_config.percentThreshold, renewsPerInstancePerWindow(m_config))
    , m_rng(seedOf(m_config))
    , m_nextEvictNs(clock.nowNs() + m_config.evictInterval.count())
    , m_nextResetNs(clock.nowNs() + m_config.resetExpectedInterval.count()) {}

std::string DiscoveryRegistry::appKey(const std::string& env, const std::string& appid) {
    std::string k;
    k.reserve(env.size() + appid.size() + 1);
    k += env;
    k += '\n';
    k += appid;
    return k;
}

namespace {

// env + '\n' + appid, on the stack when it fits (the key of m_apps, looked up as a view).
template <typename Map>
auto findByKey(Map& apps, const std::string& env, const std::string& appid) {
    char local[256];
    const std::size_t n = env.size() + 1 + appid.size();
    if (n > sizeof local)
        return apps.find(env + '\n' + appid);
    env.copy(local, env.size());
    local[env.size()] = '\n';
    appid.copy(local + env.size() + 1, appid.size());
    return apps.find(std::string_view(local, n));
}

} // namespace

DiscoveryRegistry::App* DiscoveryRegistry::findApp(const std::string& env,
                                                   const std::string& appid) {
    const auto it = findByKey(m_apps, env, appid);
    return it == m_apps.end() ? nullptr : &it->second;
}

const DiscoveryRegistry::App* DiscoveryRegistry::findApp(const std::string& env,
                                                         const std::string& appid) const {
    const auto it = findByKey(m_apps, env, appid);
    return it == m_apps.end() ? nullptr : &it->second;
}

void DiscoveryRegistry::bumpLatest(App& app, std::int64_t stamp) {
    // Strictly increasing, so a poller holding the previous stamp always sees the change.
    // Client stamps are range-checked before they get here; the guard keeps the +1 defined
    // whatever happens.
    if (app.latestTimestamp == std::numeric_limits<std::int64_t>::max())
        return;
    app.latestTimestamp = std::max(stamp, app.latestTimestamp + 1);
}

std::expected<void, Error> DiscoveryRegistry::checkStamp(const char* name, std::int64_t stamp,
                                                         std::int64_t now) const {
    if (stamp < 0)
        return std::unexpected(Error{Code::BadRequest, std::string(name) +
                                                           ": must not be negative (got " +
                                                           std::to_string(stamp) + ")"});
    if (stamp > now && stamp - now > kMaxStampAheadNs)
        return std::unexpected(
            Error{Code::BadRequest, std::string(name) + ": " + std::to_string(stamp) +
                                        " is more than 1 h ahead of the server's clock (" +
                                        std::to_string(now) + " ns)"});
    return {};
}

InstanceInfo DiscoveryRegistry::infoOf(const App& app, const std::string& zone, int status) const {
    InstanceInfo info;
    info.latestTimestamp = app.latestTimestamp;
    for (const auto& [z, hosts] : app.zones) {
        if (!zone.empty() && z != zone)
            continue;
        auto& out = info.instances[z];
        for (const auto& [h, inst] : hosts)
            if ((inst.status & status) != 0)
                out.push_back(inst);
    }
    return info;
}

void DiscoveryRegistry::run(Pending& pending) {
    for (auto& [callback, answer] : pending)
        if (callback)
            callback(std::move(answer));
    pending.clear();
}

void DiscoveryRegistry::wake(const App& app, Pending& out) {
    for (auto& parked : m_polls.takeWaitingOn(app.env, app.appid)) {
        std::map<std::string, InstanceInfo> data;
        data.emplace(app.appid, infoOf(app, parked.zone, StatusUp));
        out.emplace_back(std::move(parked.callback), PollAnswer(std::move(data)));
    }
}

std::expected<void, Error> DiscoveryRegistry::makeRoomFor(const App* app,
                                                          const std::string& appid) {
    // Quotas only guard growth; re-registering a known instance always works.
    if (m_instances >= m_config.maxInstances)
        return std::unexpected(Error{
            Code::Unavailable, "instance quota reached: " + std::to_string(m_config.maxInstances) +
                                   " instances in total"});
    if (app && app->count >= m_config.maxInstancesPerApp)
        return std::unexpected(
            Error{Code::Unavailable,
                  "instance quota reached: " + std::to_string(m_config.maxInstancesPerApp) +
                      " instances for appid " + appid});
    if (!app && m_apps.size() >= m_config.maxApps) {
        // Make room by forgetting an app that has no instances left.
        const auto empty = std::find_if(m_apps.begin(), m_apps.end(),
                                        [](const auto& kv) { return kv.second.count == 0; });
        if (empty == m_apps.end())
            return std::unexpected(
                Error{Code::Unavailable,
                      "app quota reached: " + std::to_string(m_config.maxApps) + " apps"});
        m_apps.erase(empty);
    }
    return {};
}

std::expected<void, Error> DiscoveryRegistry::registerInstance(RegisterArgs args) {
    Instance& in = args.instance;
    if (in.zone.empty() || in.env.empty() || in.appid.empty() || in.hostname.empty())
        return std::unexpected(Error{Code::BadRequest, "zone, env, appid and hostname required"});
    if (in.status != StatusUp && in.status != StatusWaiting)
        return std::unexpected(Error{Code::BadRequest, "status must be 1 (UP) or 2 (WAITING)"});
    if (in.addrs.empty())
        return std::unexpected(Error{Code::BadRequest, "addrs required"});

    Pending pending;
    {
        const std::lock_guard lock(m_mutex);
        const std::int64_t now = m_clock.nowNs();
        if (auto r = checkStamp("latest_timestamp", args.latestTimestamp, now); !r)
            return r;
        if (auto r = checkStamp("dirty_timestamp", args.dirtyTimestamp, now); !r)
            return r;
        App* app = findApp(in.env, in.appid);
        const Instance* old = nullptr;
        if (app) {
            const auto z = app->zones.find(in.zone);
            if (z != app->zones.end()) {
                const auto h = z->second.find(in.hostname);
                if (h != z->second.end())
                    old = &h->second;
            }
        }
        if (!old)
            if (auto r = makeRoomFor(app, in.appid); !r)
                return r;
        if (!app) {
            App fresh;
            fresh.env = in.env;
            fresh.appid = in.appid;
            app = &m_apps.emplace(appKey(in.env, in.appid), std::move(fresh)).first->second;
        }

        in.regTimestamp = in.upTimestamp = in.renewTimestamp = in.latestTimestamp = now;
        in.dirtyTimestamp = args.dirtyTimestamp > 0 ? args.dirtyTimestamp : now;
        auto& hosts = app->zones[in.zone];
        const auto it = hosts.find(in.hostname);
        if (it == hosts.end()) {
            hosts.emplace(in.hostname, std::move(in));
            ++app->count;
            ++m_instances;
            m_guard.instanceAdded();
        } else if (in.dirtyTimestamp >= it->second.dirtyTimestamp) {
            // A register older than what we hold (a late replica) does not overwrite it.
            it->second = std::move(in);
        }
        ++m_registers;
        ++m_generation;
        bumpLatest(*app, args.latestTimestamp > 0 ? args.latestTimestamp : now);
        wake(*app, pending);
    }
    run(pending);
    return {};
}

std::expected<Instance, Error> DiscoveryRegistry::renew(const InstanceKey& key, bool replication,
                                                        std::int64_t dirtyTimestamp) {
    Instance out;
    if (auto r = renew(key, replication, dirtyTimestamp, [&out](const Instance& i) { out = i; });
        !r)
        return std::unexpected(std::move(r.error()));
    return out;
}

std::expected<void, Error>
DiscoveryRegistry::renew(const InstanceKey& key, bool replication, std::int64_t dirtyTimestamp,
                         const std::function<void(const Instance&)>& renewed) {
    const std::lock_guard lock(m_mutex);
    const std::int64_t now = m_clock.nowNs();
    if (auto r = checkStamp("dirty_timestamp", dirtyTimestamp, now); !r)
        return std::unexpected(r.error());
    App* app = findApp(key.env, key.appid);
    if (!app)
        return std::unexpected(
            notFound("appid " + key.appid + " not registered in env " + key.env));
    const auto z = app->zones.find(key.zone);
    if (z == app->zones.end())
        return std::unexpected(notFound("no instance of " + key.appid + " in zone " + key.zone));
    const auto h = z->second.find(key.hostname);
    if (h == z->second.end())
        return std::unexpected(notFound("hostname " + key.hostname + " not registered"));
    h->second.renewTimestamp = now;
    m_guard.renewed();
    ++m_renews;
    ++m_generation;
    if (replication) {
        if (dirtyTimestamp > h->second.dirtyTimestamp)
            return std::unexpected(notFound("peer holds a newer instance: register again"));
        if (dirtyTimestamp < h->second.dirtyTimestamp)
            return std::unexpected(Error{Code::Conflict, "this node holds a newer instance"});
    }
    renewed(h->second);
    return {};
}

bool DiscoveryRegistry::removeInstance(App& app, const std::string& zone,
                                       const std::string& hostname, std::int64_t latestTimestamp) {
    const auto z = app.zones.find(zone);
    if (z == app.zones.end())
        return false;
    if (z->second.erase(hostname) == 0)
        return false;
    if (z->second.empty())
        app.zones.erase(z);
    --app.count;
    --m_instances;
    ++m_generation;
    bumpLatest(app, latestTimestamp);
    return true;
}

std::expected<void, Error> DiscoveryRegistry::cancel(const InstanceKey& key,
                                                     std::int64_t latestTimestamp) {
    Pending pending;
    {
        const std::lock_guard lock(m_mutex);
        const std::int64_t now = m_clock.nowNs();
        if (auto r = checkStamp("latest_timestamp", latestTimestamp, now); !r)
            return r;
        App* app = findApp(key.env, key.appid);
        if (!app)
            return std::unexpected(
                notFound("appid " + key.appid + " not registered in env " + key.env));
        const std::int64_t stamp = latestTimestamp > 0 ? latestTimestamp : now;
        if (!removeInstance(*app, key.zone, key.hostname, stamp))
            return std::unexpected(
                notFound("hostname " + key.hostname + " not registered in zone " + key.zone));
        m_guard.instanceRemoved();
        ++m_cancels;
        wake(*app, pending);
    }
    run(pending);
    return {};
}

std::expected<InstanceInfo, Error> DiscoveryRegistry::fetch(const std::string& env,
                                                            const std::string& appid,
                                                            const std::string& zone,
                                                            int status) const {
    const std::lock_guard lock(m_mutex);
    const App* app = findApp(env, appid);
    // An app whose last instance went is still tracked (its stamp wakes the long-polls), but
    // fetch answers -404 for it, as the reference server does.
    if (!app || app->count == 0)
        return std::unexpected(notFound("appid " + appid + " not registered in env " + env));
    if (!zone.empty() && !app->zones.contains(zone))
        return std::unexpected(notFound("no instance of " + appid + " in zone " + zone));
    return infoOf(*app, zone, status);
}

std::map<std::string, InstanceInfo>
DiscoveryRegistry::fetchs(const std::string& env, const std::vector<std::string>& appids,
                          const std::string& zone, int status) const {
    std::map<std::string, InstanceInfo> out;
    for (const auto& appid : appids)
        if (auto info = fetch(env, appid, zone, status))
            out.emplace(appid, std::move(*info));
    return out;
}

std::map<std::string, std::vector<Instance>> DiscoveryRegistry::fetchAll() const {
    const std::lock_guard lock(m_mutex);
    std::map<std::string, std::vector<Instance>> out;
    for (const auto& [k, app] : m_apps) {
        if (app.count == 0)
            continue;
        auto& list = out[app.appid];
        for (const auto& [z, hosts] : app.zones)
            for (const auto& [h, inst] : hosts)
                list.push_back(inst);
    }
    return out;
}

void DiscoveryRegistry::appendFetchAllJson(std::string& out) const {
    const std::lock_guard lock(m_mutex);
    // Grouped by appid across envs, as fetchAll(): pointers, not copies, of the instances.
    std::map<std::string_view, std::vector<const Instance*>> byApp;
    for (const auto& [k, app] : m_apps) {
        if (app.count == 0)
            continue;
        auto& list = byApp[app.appid];
        for (const auto& [z, hosts] : app.zones)
            for (const auto& [h, inst] : hosts)
                list.push_back(&inst);
    }
    out += '{';
    bool first = true;
    for (const auto& [appid, list] : byApp) {
        if (!first)
            out += ',';
        first = false;
        appendJsonString(out, appid);
        out += ":[";
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (i)
                out += ',';
            appendJson(out, *list[i]);
        }
        out += ']';
    }
    out += '}';
}

std::uint64_t DiscoveryRegistry::generation() const {
    const std::lock_guard lock(m_mutex);
    return m_generation;
}

std::expected<void, Error> DiscoveryRegistry::set(const SetArgs& args) {
    if (!args.statuses.empty() && args.statuses.size() != args.hostnames.size())
        return std::unexpected(Error{Code::BadRequest, "status: need one per hostname"});
    if (!args.metadatas.empty() && args.metadatas.size() != args.hostnames.size())
        return std::unexpected(Error{Code::BadRequest, "metadata: need one per hostname"});
    for (const int s : args.statuses)
        if (s != StatusUp && s != StatusWaiting)
            return std::unexpected(Error{Code::BadRequest, "status must be 1 (UP) or 2 (WAITING)"});

    Pending pending;
    {
        const std::lock_guard lock(m_mutex);
        App* app = findApp(args.env, args.appid);
        if (!app)
            return std::unexpected(
                notFound("appid " + args.appid + " not registered in env " + args.env));
        const auto z = app->zones.find(args.zone);
        // Check every hostname before touching any: a bad set changes nothing.
        for (const auto& h : args.hostnames)
            if (z == app->zones.end() || !z->second.contains(h))
                return std::unexpected(notFound("hostname " + h + " not registered"));
        const std::int64_t now = m_clock.nowNs();
        for (std::size_t i = 0; i < args.hostnames.size(); ++i) {
            Instance& dst = z->second.at(args.hostnames[i]);
            if (!args.statuses.empty()) {
                dst.status = args.statuses[i];
                if (dst.status == StatusUp)
                    dst.upTimestamp = now;
            }
            if (!args.metadatas.empty())
                for (const auto& [k, v] : args.metadatas[i])
                    dst.metadata[k] = v;
            dst.latestTimestamp = now;
            dst.dirtyTimestamp = now;
        }
        ++m_generation;
        bumpLatest(*app, now);
        wake(*app, pending);
    }
    run(pending);
    return {};
}

std::optional<PollId> DiscoveryRegistry::poll(PollArgs args, PollCallback callback) {
    if (args.appids.empty()) {
        callback(std::unexpected(Error{Code::BadRequest, "appid required"}));
        return std::nullopt;
    }
    if (args.latestTimestamps.size() != args.appids.size()) {
        callback(std::unexpected(Error{Code::BadRequest, "latest_timestamp: need one per appid"}));
        return std::nullopt;
    }
    std::unique_lock lock(m_mutex);
    std::map<std::string, InstanceInfo> fresh;
    for (std::size_t i = 0; i < args.appids.size(); ++i) {
        const App* app = findApp(args.env, args.appids[i]);
        if (!app) {
            lock.unlock();
            callback(std::unexpected(
                notFound("appid " + args.appids[i] + " not registered in env " + args.env)));
            return std::nullopt;
        }
        if (args.latestTimestamps[i] < app->latestTimestamp)
            fresh.emplace(args.appids[i], infoOf(*app, args.zone, StatusUp));
    }
    if (!fresh.empty()) {
        lock.unlock();
        callback(PollAnswer(std::move(fresh)));
        return std::nullopt;
    }
    if (m_polls.size() >= m_config.maxParkedPolls) {
        lock.unlock();
        callback(std::unexpected(Error{
            Code::Unavailable,
            "long-poll quota reached: " + std::to_string(m_config.maxParkedPolls) + " parked"}));
        return std::nullopt;
    }
    LongPolls::Parked parked;
    parked.env = std::move(args.env);
    parked.zone = std::move(args.zone);
    parked.appids = std::move(args.appids);
    parked.deadlineNs = m_clock.nowNs() + m_config.pollTimeout.count();
    parked.callback = std::move(callback);
    return m_polls.park(std::move(parked));
}

bool DiscoveryRegistry::cancelPoll(PollId id) {
    const std::lock_guard lock(m_mutex);
    return m_polls.cancel(id);
}

void DiscoveryRegistry::evictPass(std::int64_t now, Pending& out) {
    ++m_evictionPasses;
    m_lastEvictNs = now;
    m_guard.rollWindow();
    const bool protect = m_guard.isOn();
    struct Victim {
        App* app;
        std::string zone;
        std::string hostname;
    };
    std::vector<Victim> expired;
    for (auto& [k, app] : m_apps)
        for (const auto& [z, hosts] : app.zones)
            for (const auto& [h, inst] : hosts) {
                const std::int64_t age = now - inst.renewTimestamp;
                if ((!protect && age > m_config.evictThreshold.count()) ||
                    age > m_config.evictCeiling.count())
                    expired.push_back(Victim{&app, z, h});
            }
    // Never wipe out more than (1 - percent) of the registry in one pass, and spread the
    // evictions over apps at random so no single app disappears first.
    const auto size = static_cast<std::int64_t>(m_instances);
    const auto limit = size - static_cast<std::int64_t>(std::floor(static_cast<double>(size) *
                                                                   m_config.percentThreshold));
    const auto count = std::min<std::int64_t>(static_cast<std::int64_t>(expired.size()), limit);
    std::set<App*> touched;
    for (std::int64_t i = 0; i < count; ++i) {
        std::uniform_int_distribution<std::size_t> pick(static_cast<std::size_t>(i),
                                                        expired.size() - 1);
        std::swap(expired[static_cast<std::size_t>(i)], expired[pick(m_rng)]);
        const Victim& v = expired[static_cast<std::size_t>(i)];
        if (removeInstance(*v.app, v.zone, v.hostname, now)) {
            ++m_evictions;
            touched.insert(v.app);
        }
    }
    for (App* app : touched)
        wake(*app, out);
}

void DiscoveryRegistry::tick() {
    Pending pending;
    {
        const std::lock_guard lock(m_mutex);
        const std::int64_t now = m_clock.nowNs();
        const std::int64_t interval = std::max<std::int64_t>(1, m_config.evictInterval.count());
        if (now >= m_nextEvictNs) {
            evictPass(now, pending);
            m_nextEvictNs += interval;
            if (m_nextEvictNs <= now) // we slept through passes: do not run them in a burst
                m_nextEvictNs = now + interval;
        }
        if (now >= m_nextResetNs) {
            m_guard.resetFromCount(static_cast<std::int64_t>(m_instances));
            m_nextResetNs = now + std::max<std::int64_t>(1, m_config.resetExpectedInterval.count());
        }
        for (auto& parked : m_polls.takeExpired(now))
            pending.emplace_back(
                std::move(parked.callback),
                PollAnswer(std::unexpected(Error{Code::NotModified, "not modified"})));
    }
    run(pending);
}

RegistryStats DiscoveryRegistry::stats() const {
    const std::lock_guard lock(m_mutex);
    RegistryStats s;
    s.nowNs = m_clock.nowNs();
    s.apps = m_apps.size();
    s.instances = m_instances;
    for (const auto& [k, app] : m_apps)
        for (const auto& [z, hosts] : app.zones)
            for (const auto& [h, inst] : hosts)
                if (s.nowNs - inst.renewTimestamp > m_config.evictThreshold.count())
                    ++s.instancesExpired;
    s.parkedPolls = m_polls.size();
    s.renewsLastWindow = m_guard.renewsLastWindow();
    s.renewsThisWindow = m_guard.renewsThisWindow();
    s.expectedRenewsPerWindow = m_guard.expectedPerWindow();
    s.threshold = m_guard.threshold();
    s.selfProtection = m_guard.isOn();
    s.registers = m_registers;
    s.renews = m_renews;
    s.cancels = m_cancels;
    s.evictions = m_evictions;
    s.evictionPasses = m_evictionPasses;
    s.lastEvictionPassNs = m_lastEvictNs;
    s.nextEvictionPassNs = m_nextEvictNs;
    return s;
}

} // namespace regscope::discovery
