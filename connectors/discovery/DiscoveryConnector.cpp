#include "connectors/discovery/DiscoveryConnector.h"

#include "connectors/discovery/DiscoveryWorker.h"

#include <QDeadlineTimer>

using namespace Qt::StringLiterals;

namespace regscope {

DiscoveryConnector::DiscoveryConnector(QUrl url, QObject* parent)
    : DiscoveryConnector(std::move(url), Options(), parent) {}

DiscoveryConnector::DiscoveryConnector(QUrl url, Options options, QObject* parent)
    : Connector(parent)
    , m_url(std::move(url))
    , m_options(std::move(options))
    , m_controls(this) {}

DiscoveryConnector::~DiscoveryConnector() {
    stop();
}

bool DiscoveryConnector::accepts(const QUrl& url) {
    return url.isValid() && url.scheme() == u"http"_s && !url.host().isEmpty();
}

void DiscoveryConnector::start() {
    if (m_thread)
        return;
    m_thread = new QThread(this);
    m_thread->setObjectName(u"discovery-connector"_s);
    m_worker = new DiscoveryWorker(m_url, m_options);
    m_worker->moveToThread(m_thread);
    connect(m_worker, &DiscoveryWorker::eventsReady, this, &Connector::eventsReady,
            Qt::DirectConnection); // re-emitted from the worker thread, as Connector says
    // The worker dies on its own thread once the thread's loop ends (QThread runs deferred
    // deletes after finished), so its sockets and timers are torn down where they live.
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
    QMetaObject::invokeMethod(m_worker, &DiscoveryWorker::start, Qt::QueuedConnection);
}

void DiscoveryConnector::stop() {
    if (!m_thread)
        return;
    // Nothing reaches this connector from here on, even from a slot still running.
    QObject::disconnect(m_worker, nullptr, this, nullptr);
    m_worker = nullptr;
    m_thread->quit();
    // The worker's replies are asynchronous, so its loop ends at once unless a slot is parsing
    // a big answer; that one finishes alone and the thread then deletes itself.
    if (m_thread->wait(QDeadlineTimer(kConnectorStopDeadlineMs))) {
        delete m_thread;
    } else {
        qWarning("discovery connector: worker did not stop within %d ms; left to finish",
                 kConnectorStopDeadlineMs);
        m_thread->setParent(nullptr);
        QObject::connect(m_thread, &QThread::finished, m_thread, &QObject::deleteLater);
    }
    m_thread = nullptr;
}

SourceControls* DiscoveryConnector::controls() {
    return &m_controls;
}

void DiscoveryConnector::Controls::retryNow() {
    if (m_connector->m_worker)
        QMetaObject::invokeMethod(m_connector->m_worker, &DiscoveryWorker::retryNow,
                                  Qt::QueuedConnection);
}

} // namespace regscope
