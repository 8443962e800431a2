#pragma once
// Self-protection bookkeeping (Eureka's self-preservation, bilibili/discovery's Guard):
// expected renews per window vs renews counted in the last window.

#include <cstdint>

namespace regscope::discovery {

class SelfProtection {
public:
    SelfProtection(double percentThreshold, std::int64_t renewsPerInstancePerWindow);

    void instanceAdded();   // +renewsPerInstance on register
    void instanceRemoved(); // -renewsPerInstance on cancel (evictions wait for the recompute)
    void resetFromCount(std::int64_t instances);
    void renewed() { ++m_renewsThisWindow; }
    // Closes the counting window: its renews become "renews last window".
    void rollWindow();

    std::int64_t expectedPerWindow() const { return m_expected; }
    std::int64_t threshold() const { return m_threshold; }
    std::int64_t renewsLastWindow() const { return m_renewsLastWindow; }
    std::int64_t renewsThisWindow() const { return m_renewsThisWindow; }
    bool isOn() const { return m_renewsLastWindow < m_threshold; }

private:
    void recomputeThreshold();

    double m_percent;
    std::int64_t m_perInstance;
    std::int64_t m_expected = 0;
    std::int64_t m_threshold = 0;
    std::int64_t m_renewsThisWindow = 0;
    std::int64_t m_renewsLastWindow = 0;
};

} // namespace regscope::discovery
