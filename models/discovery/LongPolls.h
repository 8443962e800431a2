#pragma once
// Parked long-polls: who waits for which (env, appid), and until when. Not thread-safe on
// its own: DiscoveryRegistry drives it under its lock and runs the callbacks after.

#include "models/discovery/Instance.h"

#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace regscope::discovery {

using PollAnswer = std::expected<std::map<std::string, InstanceInfo>, Error>;
using PollCallback = std::function<void(PollAnswer)>;
using PollId = std::uint64_t;

class LongPolls {
public:
    struct Parked {
        std::string env;
        std::string zone;
        std::vector<std::string> appids;
        std::int64_t deadlineNs = 0;
        PollCallback callback;
    };

    PollId park(Parked parked);
    // Removes and returns every poll waiting on (env, appid).
    std::vector<Parked> takeWaitingOn(const std::string& env, const std::string& appid);
    // Removes and returns every poll whose deadline is <= nowNs.
    std::vector<Parked> takeExpired(std::int64_t nowNs);
    bool cancel(PollId id);
    std::size_t size() const { return m_parked.size(); }

private:
    static std::string key(const std::string& env, const std::string& appid);
    void unindex(PollId id, const Parked& parked);

    PollId m_nextId = 1;
    std::map<PollId, Parked> m_parked;
    std::unordered_map<std::string, std::set<PollId>> m_byApp;
    // Park order == deadline order (one timeout for all), so expiry pops from the front.
    std::deque<std::pair<std::int64_t, PollId>> m_deadlines;
};

} // namespace regscope::discovery
