#include "models/discovery/LongPolls.h"

namespace regscope::discovery {

std::string LongPolls::key(const std::string& env, const std::string& appid) {
    std::string k;
    k.reserve(env.size() + appid.size() + 1);
    k += env;
    k += '\n';
    k += appid;
    return k;
}

PollId LongPolls::park(Parked parked) {
    const PollId id = m_nextId++;
    for (const auto& appid : parked.appids)
        m_byApp[key(parked.env, appid)].insert(id);
    m_deadlines.emplace_back(parked.deadlineNs, id);
    m_parked.emplace(id, std::move(parked));
    return id;
}

void LongPolls::unindex(PollId id, const Parked& parked) {
    for (const auto& appid : parked.appids) {
        const auto it = m_byApp.find(key(parked.env, appid));
        if (it == m_byApp.end())
            continue;
        it->second.erase(id);
        if (it->second.empty())
            m_byApp.erase(it);
    }
}

std::vector<LongPolls::Parked> LongPolls::takeWaitingOn(const std::string& env,
                                                        const std::string& appid) {
    std::vector<Parked> out;
    const auto it = m_byApp.find(key(env, appid));
    if (it == m_byApp.end())
        return out;
    const std::set<PollId> ids = std::move(it->second);
    m_byApp.erase(it);
    for (const PollId id : ids) {
        auto node = m_parked.extract(id);
        if (node.empty())
            continue;
        unindex(id, node.mapped());
        out.push_back(std::move(node.mapped()));
    }
    // Their m_deadlines entries stay behind and are skipped when they come due.
    return out;
}

std::vector<LongPolls::Parked> LongPolls::takeExpired(std::int64_t nowNs) {
    std::vector<Parked> out;
    while (!m_deadlines.empty() && m_deadlines.front().first <= nowNs) {
        const PollId id = m_deadlines.front().second;
        m_deadlines.pop_front();
        auto node = m_parked.extract(id);
        if (node.empty())
            continue; // answered or cancelled already
        unindex(id, node.mapped());
        out.push_back(std::move(node.mapped()));
    }
    // Keep the deadline queue bounded by the parked count even when polls are answered
    // early and never expire (a busy app wakes its pollers long before their deadline).
    if (m_deadlines.size() > 2 * m_parked.size() + 1024) {
        std::deque<std::pair<std::int64_t, PollId>> kept;
        for (const auto& d : m_deadlines)
            if (m_parked.contains(d.second))
                kept.push_back(d);
        m_deadlines = std::move(kept);
    }
    return out;
}

bool LongPolls::cancel(PollId id) {
    auto node = m_parked.extract(id);
    if (node.empty())
        return false;
    unindex(id, node.mapped());
    return true;
}

} // namespace regscope::discovery
