#include "app/discoveryd/Connections.h"

#include <malloc.h>

namespace regscope::discoveryd {

namespace {
// Bodies this big come from fetch/all; giving their pages back keeps RSS from staying at
// the high-water mark after a burst of big replies (glibc keeps freed heap otherwise).
constexpr std::size_t kTrimAbove = 1u << 20;
} // namespace

void Connections::publish() {
    m_metrics.transport().open = m_live;
    m_metrics.transport().writeBufferBytes = m_heldBytes;
}

void Connections::opened(Connection& c) {
    c.m_live = true;
    ++m_live;
    publish();
}

void Connections::closed(Connection& c) {
    stoppedReading(c);
    if (!c.m_live)
        return;
    c.m_live = false;
    --m_live;
    publish();
}

void Connections::startedReading(Connection& c) {
    if (!c.m_live)
        return;
    if (c.m_reading)
        m_reading.erase(c.m_readingAt);
    c.m_readingAt = m_reading.insert(m_reading.end(), &c);
    c.m_reading = true;
}

void Connections::stoppedReading(Connection& c) {
    if (!c.m_reading)
        return;
    m_reading.erase(c.m_readingAt);
    c.m_reading = false;
}

bool Connections::shedOldestReading() {
    if (m_reading.empty())
        return false;
    Connection* victim = m_reading.front();
    stoppedReading(*victim);
    m_metrics.transport().shed++;
    victim->shed();
    return true;
}

bool Connections::fits(const std::string* body, std::size_t size, std::size_t limit) const {
    if (!body || m_held.contains(body))
        return true; // shared with a write in progress: costs nothing more
    return m_heldBytes + size <= limit;
}

std::shared_ptr<const std::string> Connections::hold(std::shared_ptr<const std::string> body) {
    if (!body)
        return body;
    auto& h = m_held[body.get()];
    if (h.holders++ == 0) {
        h.size = body->size();
        m_heldBytes += h.size;
        publish();
    }
    return body;
}

void Connections::release(std::shared_ptr<const std::string>& body) {
    if (!body)
        return;
    const auto it = m_held.find(body.get());
    std::size_t freed = 0;
    if (it != m_held.end() && --it->second.holders == 0) {
        freed = it->second.size;
        m_heldBytes -= freed;
        m_held.erase(it);
        publish();
    }
    const bool last = body.use_count() == 1;
    body.reset();
    if (last && freed >= kTrimAbove)
        malloc_trim(0);
}

} // namespace regscope::discoveryd
