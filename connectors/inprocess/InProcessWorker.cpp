#include "connectors/inprocess/InProcessWorker.h"

#include "connectors/inprocess/RegistryEvents.h"

#include <QDateTime>

using namespace Qt::StringLiterals;

namespace regscope {

void ChangeQueue::OnChange(const registry::ChangeEvent& event) {
    // Lookups through deprecated names come on the looking-up threads, possibly very often;
    // the metrics count them, so they are not queued.
    if (event.kind == registry::ChangeKind::DeprecatedLookup)
        return;
    std::lock_guard lock(m_mutex);
    if (qsizetype(m_events.size()) >= m_bound) {
        m_overflowed = true;
        return;
    }
    m_events.push_back(event);
}

std::vector<registry::ChangeEvent> ChangeQueue::take(bool* overflowed) {
    std::vector<registry::ChangeEvent> out;
    std::lock_guard lock(m_mutex);
    out.swap(m_events);
    *overflowed = std::exchange(m_overflowed, false);
    return out;
}

InProcessWorker::InProcessWorker(std::weak_ptr<registry::RegistryCore> registry,
                                 std::shared_ptr<ChangeQueue> queue,
                                 InProcessConnector::Options options, Emit sink)
    : m_registry(std::move(registry))
    , m_queue(std::move(queue))
    , m_options(std::move(options))
    , m_emit(std::move(sink))
    , m_drainTimer(this)
    , m_sampleTimer(this) {
    m_drainTimer.setInterval(m_options.batchIntervalMs);
    m_sampleTimer.setInterval(m_options.metricsIntervalMs);
    connect(&m_drainTimer, &QTimer::timeout, this, &InProcessWorker::drain);
    connect(&m_sampleTimer, &QTimer::timeout, this, &InProcessWorker::sample);
}

bool InProcessWorker::registryGone(EventBatch* batch) {
    if (!m_registry.expired())
        return false;
    if (!m_down) {
        m_down = true;
        batch->emplace_back(SourceHealth{HealthState::Down, u"the registry was destroyed"_s});
        m_drainTimer.stop();
        m_sampleTimer.stop();
    }
    return true;
}

void InProcessWorker::resync(EventBatch* batch, const QString& why) {
    const auto registry = m_registry.lock();
    if (!registry)
        return;
    // Changes at or below this generation are in the snapshot; later ones replay idempotently.
    m_snapshotGeneration = registry->Generation();
    batch->emplace_back(toSnapshotEvent(registry->Snapshot(), qint64(m_snapshotGeneration)));
    if (!why.isEmpty())
        batch->emplace_back(
            TimelineEvent{QDateTime::currentMSecsSinceEpoch(), u"resync"_s, u"registry"_s, why});
}

void InProcessWorker::begin() {
    auto batch = std::make_shared<EventBatch>();
    batch->emplace_back(
        SourceHealth{HealthState::Connecting, u"attaching to the in-process registry"_s});
    if (registryGone(batch.get())) {
        m_emit(std::move(batch));
        return;
    }
    resync(batch.get(), {});
    const auto& snapshot = std::get<SnapshotEvent>(batch->back());
    batch->emplace_back(TimelineEvent{
        QDateTime::currentMSecsSinceEpoch(), u"resync"_s, u"registry"_s,
        u"attached: snapshot of %1 entries at generation %2"_s.arg(snapshot.records.size())
            .arg(snapshot.revision)});
    if (const auto registry = m_registry.lock())
        batch->emplace_back(sampleMetrics(*registry));
    batch->emplace_back(
        SourceHealth{HealthState::Live, u"attached in-process (%1)"_s.arg(m_options.url)});
    m_emit(std::move(batch));
    m_drainTimer.start();
    m_sampleTimer.start();
}

void InProcessWorker::drain() {
    auto batch = std::make_shared<EventBatch>();
    if (registryGone(batch.get())) {
        m_emit(std::move(batch));
        return;
    }
    bool overflowed = false;
    const std::vector<registry::ChangeEvent> changes = m_queue->take(&overflowed);
    bool reloaded = false;
    for (const auto& c : changes) {
        if (c.generation != 0 && c.generation <= m_snapshotGeneration)
            continue; // already in the snapshot we sent
        appendEvents(c, batch.get());
        reloaded = reloaded || c.kind == registry::ChangeKind::Reloaded;
    }
    if (overflowed)
        resync(batch.get(), u"changes came faster than they could be queued; resynced"_s);
    else if (reloaded)
        resync(batch.get(), {}); // a reload is one event: its content comes as a merge
    if (!batch->empty())
        m_emit(std::move(batch));
}

void InProcessWorker::sample() {
    auto batch = std::make_shared<EventBatch>();
    if (!registryGone(batch.get())) {
        if (const auto registry = m_registry.lock())
            batch->emplace_back(sampleMetrics(*registry));
    }
    m_emit(std::move(batch));
}

MetricsSample InProcessWorker::sampleMetrics(const registry::RegistryCore& registry) {
    const registry::MetricsSnapshot metrics = registry.Metrics();
    MetricsSample sample = toMetricsSample(metrics, QDateTime::currentMSecsSinceEpoch(),
                                           m_lastLatency ? &*m_lastLatency : nullptr);
    m_lastLatency = metrics.latency;
    return sample;
}

} // namespace regscope
