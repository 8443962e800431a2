#include "connectors/inprocess/InProcessConnector.h"

#include "connectors/inprocess/InProcessWorker.h"
#include "models/registry/RegistryCore.h"

using namespace Qt::StringLiterals;

namespace regscope {

InProcessConnector::InProcessConnector(std::weak_ptr<registry::RegistryCore> registry,
                                       Options options, QObject* parent)
    : Connector(parent)
    , m_registry(std::move(registry))
    , m_options(std::move(options)) {
    m_thread.setObjectName(u"inprocess-connector"_s);
}

InProcessConnector::InProcessConnector(std::weak_ptr<registry::RegistryCore> registry,
                                       QObject* parent)
    : InProcessConnector(std::move(registry), Options{}, parent) {}

InProcessConnector::~InProcessConnector() {
    stop();
}

void InProcessConnector::start() {
    if (m_started)
        return;
    m_started = true;
    m_queue = std::make_shared<ChangeQueue>(m_options.maxQueuedChanges);
    if (const auto registry = m_registry.lock())
        m_observerId = registry->AddObserver(m_queue); // before the snapshot: nothing is missed
    m_worker = new InProcessWorker(m_registry, m_queue, m_options,
                                   [this](EventBatchPtr batch) { Q_EMIT eventsReady(batch); });
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
    QMetaObject::invokeMethod(m_worker, &InProcessWorker::begin, Qt::QueuedConnection);
}

void InProcessConnector::stop() {
    if (!m_started)
        return;
    m_started = false;
    if (const auto registry = m_registry.lock(); registry && m_observerId)
        registry->RemoveObserver(m_observerId);
    m_observerId = 0;
    m_thread.quit();
    // The worker only ever runs short slots (a drain, a snapshot), so this returns promptly;
    // the deadline keeps a pathological snapshot from hanging the app's exit.
    if (!m_thread.wait(QDeadlineTimer(kConnectorStopDeadlineMs)))
        qWarning("inprocess connector: worker thread did not stop within %d ms",
                 kConnectorStopDeadlineMs);
    m_worker = nullptr;
    auto batch = std::make_shared<EventBatch>();
    batch->emplace_back(SourceHealth{HealthState::Down, u"detached"_s});
    Q_EMIT eventsReady(std::move(batch));
}

} // namespace regscope
