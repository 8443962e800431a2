#pragma once
// An io thread's book of its open connections and of the reply bytes they hold (one book
// per io thread, used from that thread only; the totals it keeps in ServerMetrics are the
// server's, summed over threads). It knows which connections have not yet sent a whole
// request (oldest first), so the server can shed one of them when it is at its cap or out
// of descriptors, and it counts each reply body once however many of its connections are
// still being sent it.

#include "app/discoveryd/ServerMetrics.h"

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace regscope::discoveryd {

class Connections;

// The reply bodies held by unfinished writes of every io thread: each body counts once in
// ServerMetrics' writeBufferBytes however many connections are still being sent it.
class ReplyBuffers {
public:
    explicit ReplyBuffers(ServerMetrics& metrics)
        : m_metrics(metrics) {}
    // Counts the body in if it is already held or fits under limit; false: not held.
    bool tryHold(const std::shared_ptr<const std::string>& body, std::size_t limit);
    // Returns the bytes freed from the count (0 while others still hold the body).
    std::size_t release(const std::string* body);
    std::size_t heldBytes() const { return m_metrics.transport().writeBufferBytes.load(); }

private:
    struct Held {
        std::size_t size = 0;
        std::size_t holders = 0;
    };
    ServerMetrics& m_metrics;
    mutable std::mutex m_mutex;
    std::unordered_map<const std::string*, Held> m_held;
};

// What the book needs from a connection.
class Connection {
public:
    // Close now: the server needs the slot (the connection has no whole request yet).
    virtual void shed() = 0;

protected:
    Connection() = default;
    virtual ~Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

private:
    friend class Connections;
    std::list<Connection*>::iterator m_readingAt;
    std::chrono::steady_clock::time_point m_readingSince{};
    bool m_reading = false;
    bool m_live = false;
};

class Connections {
public:
    Connections(ServerMetrics& metrics, std::shared_ptr<ReplyBuffers> buffers)
        : m_metrics(metrics)
        , m_buffers(std::move(buffers)) {}

    void opened(Connection& c);
    void closed(Connection& c); // idempotent; the connection no longer counts as open
    void destroyed(Connection& c) { closed(c); }

    // Waiting for (the rest of) a request: a candidate for shedding, oldest first.
    void startedReading(Connection& c);
    void stoppedReading(Connection& c);
    // Sheds the connection that has waited longest for its request, if it has waited at
    // least kShedAfter (a normal client's request arrives well within it: only slow ones
    // are shed); false if none qualifies.
    bool shedOldestReading();
    static constexpr std::chrono::milliseconds kShedAfter{200};

    // Open connections of the whole server (every io thread).
    std::size_t live() const { return m_metrics.transport().open.load(); }

    // Reply bytes held for unfinished writes, server-wide; a body shared by several
    // connections counts once. tryHold() counts a body in when it fits under limit (an
    // empty body always does); release() drops it.
    bool tryHold(const std::shared_ptr<const std::string>& body, std::size_t limit) {
        return !body || m_buffers->tryHold(body, limit);
    }
    void release(std::shared_ptr<const std::string>& body);
    // The same for bytes no other connection can share (a small reply copied into the
    // connection's batch): counted in when they fit under limit, without the body table.
    bool tryHoldBytes(std::size_t bytes, std::size_t limit);
    void releaseBytes(std::size_t bytes);
    std::size_t heldBytes() const { return m_buffers->heldBytes(); }

    ServerMetrics& metrics() { return m_metrics; }

private:
    ServerMetrics& m_metrics;
    std::shared_ptr<ReplyBuffers> m_buffers;
    std::list<Connection*> m_reading;
};

} // namespace regscope::discoveryd
