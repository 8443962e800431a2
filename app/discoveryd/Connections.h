#pragma once
// The HTTP front's book of open connections and of the reply bytes they hold, on the io
// thread only. It knows which connections have not yet sent a whole request (oldest first),
// so the server can shed one of them when it is at its cap or out of descriptors, and it
// counts each reply body once however many connections are still being sent it.

#include "app/discoveryd/ServerMetrics.h"

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

namespace regscope::discoveryd {

class Connections;

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
    bool m_reading = false;
    bool m_live = false;
};

class Connections {
public:
    explicit Connections(ServerMetrics& metrics)
        : m_metrics(metrics) {}

    void opened(Connection& c);
    void closed(Connection& c); // idempotent; the connection no longer counts as open
    void destroyed(Connection& c) { closed(c); }

    // Waiting for (the rest of) a request: a candidate for shedding, oldest first.
    void startedReading(Connection& c);
    void stoppedReading(Connection& c);
    // Sheds the connection that has waited longest for its request; false if none waits.
    bool shedOldestReading();

    std::size_t live() const { return m_live; }

    // Reply bytes held for unfinished writes; a body shared by several connections counts
    // once. hold() returns the body for the connection to keep; release() drops it.
    bool fits(const std::string* body, std::size_t size, std::size_t limit) const;
    std::shared_ptr<const std::string> hold(std::shared_ptr<const std::string> body);
    void release(std::shared_ptr<const std::string>& body);
    std::size_t heldBytes() const { return m_heldBytes; }

    ServerMetrics& metrics() { return m_metrics; }

private:
    struct Held {
        std::size_t size = 0;
        std::size_t holders = 0;
    };
    void publish();

    ServerMetrics& m_metrics;
    std::size_t m_live = 0;
    std::list<Connection*> m_reading;
    std::unordered_map<const std::string*, Held> m_held;
    std::size_t m_heldBytes = 0;
};

} // namespace regscope::discoveryd
