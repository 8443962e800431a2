#include "app/discoveryd/Connections.h"

#include <malloc.h>

namespace regscope::discoveryd {

namespace {
// Bodies this big come from fetch/all; giving their pages back keeps RSS from staying at
// the high-water mark after a burst of big replies (glibc keeps freed heap otherwise).
constexpr std::size_t kTrimAbove = 1u << 20;

// Adds bytes to the held total unless that passes limit: check and add are one step, so
// io threads cannot overshoot the total together.
bool addIfFits(TransportStats::Counter& held, std::size_t bytes, std::size_t limit) {
    std::uint64_t now = held.load();
    do {
        if (now + bytes > limit)
            return false;
    } while (!held.compare_exchange_weak(now, now + bytes));
    return true;
}
} // namespace

bool Connections::tryHoldBytes(std::size_t bytes, std::size_t limit) {
    return bytes == 0 || addIfFits(m_metrics.transport().writeBufferBytes, bytes, limit);
}

void Connections::releaseBytes(std::size_t bytes) {
    if (bytes > 0)
        m_metrics.transport().writeBufferBytes -= bytes;
}

void Connections::opened(Connection& c) {
    c.m_live = true;
    m_metrics.transport().open++;
}

void Connections::closed(Connection& c) {
    stoppedReading(c);
    if (!c.m_live)
        return;
    c.m_live = false;
    m_metrics.transport().open--;
}

void Connections::startedReading(Connection& c) {
    if (!c.m_live)
        return;
    if (c.m_reading)
        m_reading.erase(c.m_readingAt);
    c.m_readingAt = m_reading.insert(m_reading.end(), &c);
    c.m_readingSince = std::chrono::steady_clock::now();
    c.m_reading = true;
}

void Connections::stoppedReading(Connection& c) {
    if (!c.m_reading)
        return;
    m_reading.erase(c.m_readingAt);
    c.m_reading = false;
}

bool Connections::shedOldestReading() {
    if (m_reading.empty() ||
        std::chrono::steady_clock::now() - m_reading.front()->m_readingSince < kShedAfter)
        return false;
    Connection* victim = m_reading.front();
    stoppedReading(*victim);
    m_metrics.transport().shed++;
    victim->shed();
    return true;
}

bool ReplyBuffers::tryHold(const std::shared_ptr<const std::string>& body, std::size_t limit) {
    const std::lock_guard lock(m_mutex);
    const auto it = m_held.find(body.get());
    if (it != m_held.end()) {
        ++it->second.holders; // shared with a write in progress: costs nothing more
        return true;
    }
    const std::size_t size = body->size();
    if (!addIfFits(m_metrics.transport().writeBufferBytes, size, limit))
        return false;
    m_held.emplace(body.get(), Held{size, 1});
    return true;
}

std::size_t ReplyBuffers::release(const std::string* body) {
    const std::lock_guard lock(m_mutex);
    const auto it = m_held.find(body);
    if (it == m_held.end() || --it->second.holders > 0)
        return 0;
    const std::size_t freed = it->second.size;
    m_metrics.transport().writeBufferBytes -= freed;
    m_held.erase(it);
    return freed;
}

void Connections::release(std::shared_ptr<const std::string>& body) {
    if (!body)
        return;
    const std::size_t freed = m_buffers->release(body.get());
    const bool last = body.use_count() == 1;
    body.reset();
    if (last && freed >= kTrimAbove)
        malloc_trim(0);
}

} // namespace regscope::discoveryd
