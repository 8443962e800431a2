#pragma once
// The part of InProcessConnector that runs on its thread: takes snapshots, drains the
// observer's queue into batches, samples metrics.

#include "connectors/inprocess/InProcessConnector.h"
#include "models/registry/Metrics.h"
#include "models/registry/Observer.h"
#include "models/registry/RegistryCore.h"

#include <QObject>
#include <QTimer>

#include <mutex>
#include <optional>
#include <vector>

namespace regscope {

// Filled on the registry's writing threads, drained on the connector's thread. Bounded: past
// the bound it stops queueing and asks for a resync instead.
class ChangeQueue : public registry::Observer {
public:
    explicit ChangeQueue(qsizetype bound)
        : m_bound(bound) {}
    void OnChange(const registry::ChangeEvent& event) override;
    // Takes everything queued; *overflowed tells whether changes were dropped meanwhile.
    std::vector<registry::ChangeEvent> take(bool* overflowed);

private:
    std::mutex m_mutex;
    std::vector<registry::ChangeEvent> m_events;
    qsizetype m_bound;
    bool m_overflowed = false;
};

class InProcessWorker : public QObject {
    Q_OBJECT
public:
    using Emit = std::function<void(EventBatchPtr)>;
    InProcessWorker(std::weak_ptr<registry::RegistryCore> registry,
                    std::shared_ptr<ChangeQueue> queue, InProcessConnector::Options options,
                    Emit sink);

    void begin();

private:
    void drain();
    void sample();
    MetricsSample sampleMetrics(const registry::RegistryCore& registry);
    void resync(EventBatch* batch, const QString& why);
    bool registryGone(EventBatch* batch);

    std::weak_ptr<registry::RegistryCore> m_registry;
    std::shared_ptr<ChangeQueue> m_queue;
    InProcessConnector::Options m_options;
    Emit m_emit;
    QTimer m_drainTimer;
    QTimer m_sampleTimer;
    quint64 m_snapshotGeneration = 0;
    std::optional<registry::LatencyHistogram> m_lastLatency; // for per-interval quantiles
    bool m_down = false;
};

} // namespace regscope
