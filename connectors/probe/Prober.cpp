#include "connectors/probe/Prober.h"

#include "connectors/Connector.h"
#include "connectors/probe/ProberWorker.h"

#include <QThread>

namespace regscope {

Prober::Prober(ProbeLimits limits, QObject* parent)
    : QObject(parent)
    , m_limits(std::move(limits))
    , m_stats(std::make_shared<Stats>()) {
    registerConnectorMetaTypes();
}

Prober::~Prober() {
    stop();
}

void Prober::start() {
    if (m_worker)
        return;
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("regscope-prober"));
    m_worker = new ProberWorker(m_limits, m_stats);
    m_worker->moveToThread(m_thread);
    connect(m_worker, &ProberWorker::eventsReady, this, &Prober::eventsReady, Qt::DirectConnection);
    m_thread->start();
}

void Prober::stop() {
    if (!m_worker)
        return;
    // Nothing reaches eventsReady from here on; the worker dies on its own thread (its
    // sockets are aborted, its gRPC calls canceled), then the thread ends.
    disconnect(m_worker, nullptr, this, nullptr);
    ProberWorker* worker = m_worker;
    QThread* thread = m_thread;
    m_worker = nullptr;
    m_thread = nullptr;
    // Deferred deletes are run as the thread finishes, on the thread.
    worker->deleteLater();
    thread->quit();
    if (thread->wait(kConnectorStopDeadlineMs) || thread->isFinished()) {
        delete thread;
        return;
    }
    // Past the deadline: it finishes alone and deletes its own thread object.
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
}

void Prober::updateTargets(std::vector<ProbeTarget> upserted, QStringList removed) {
    if (!m_worker || (upserted.empty() && removed.isEmpty()))
        return;
    QMetaObject::invokeMethod(
        m_worker,
        [w = m_worker, up = std::move(upserted), gone = std::move(removed)] {
            w->updateTargets(up, gone);
        },
        Qt::QueuedConnection);
}

void Prober::clearTargets() {
    if (m_worker)
        QMetaObject::invokeMethod(
            m_worker, [w = m_worker] { w->clearTargets(); }, Qt::QueuedConnection);
}

} // namespace regscope
