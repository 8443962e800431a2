#include "models/discovery/SelfProtection.h"

#include <cmath>

namespace regscope::discovery {

SelfProtection::SelfProtection(double percentThreshold, std::int64_t renewsPerInstancePerWindow)
    : m_percent(percentThreshold)
    , m_perInstance(renewsPerInstancePerWindow) {}

void SelfProtection::instanceAdded() {
    m_expected += m_perInstance;
    recomputeThreshold();
}

void SelfProtection::instanceRemoved() {
    if (m_expected > 0) {
        m_expected -= m_perInstance;
        if (m_expected < 0)
            m_expected = 0;
        recomputeThreshold();
    }
}

void SelfProtection::resetFromCount(std::int64_t instances) {
    m_expected = instances * m_perInstance;
    recomputeThreshold();
}

void SelfProtection::rollWindow() {
    m_renewsLastWindow = m_renewsThisWindow;
    m_renewsThisWindow = 0;
}

void SelfProtection::recomputeThreshold() {
    m_threshold =
        static_cast<std::int64_t>(std::floor(static_cast<double>(m_expected) * m_percent));
}

} // namespace regscope::discovery
