#pragma once
// The discovery core never reads the time itself: it asks a Clock, so tests can drive
// eviction, self-protection and long-poll timeouts in microseconds of real time.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace regscope::discovery {

class Clock {
public:
    virtual ~Clock() = default;
    // Unix time in nanoseconds (the wire's timestamp unit).
    virtual std::int64_t nowNs() const = 0;
};

class SystemClock final : public Clock {
public:
    std::int64_t nowNs() const override {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

// A clock that moves only when told to. Thread-safe so a test may advance it while a
// server thread reads it.
class ManualClock final : public Clock {
public:
    explicit ManualClock(std::int64_t startNs = 1'700'000'000'000'000'000)
        : m_now(startNs) {}
    std::int64_t nowNs() const override { return m_now.load(std::memory_order_relaxed); }
    void advance(std::chrono::nanoseconds d) { m_now.fetch_add(d.count()); }
    void set(std::int64_t ns) { m_now.store(ns); }

private:
    std::atomic<std::int64_t> m_now;
};

} // namespace regscope::discovery
