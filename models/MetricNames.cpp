#include "models/MetricNames.h"

namespace regscope::metric {

double value(const MetricsSample& sample, QStringView name, QStringView key, QStringView labelValue,
             double fallback) {
    for (const MetricPoint& p : sample.points) {
        if (p.name != name)
            continue;
        if (key.isEmpty() || p.labels.value(key.toString()) == labelValue)
            return p.value;
    }
    return fallback;
}

bool has(const MetricsSample& sample, QStringView name) {
    for (const MetricPoint& p : sample.points) {
        if (p.name == name)
            return true;
    }
    return false;
}

void forEachLabelled(const MetricsSample& sample, QStringView name, QStringView key,
                     const std::function<void(const QString&, double)>& fn) {
    const QString k = key.toString();
    for (const MetricPoint& p : sample.points) {
        if (p.name == name)
            fn(p.labels.value(k), p.value);
    }
}

} // namespace regscope::metric
