#include "connectors/inprocess/DemoConnector.h"

namespace regscope {

DemoConnector::DemoConnector(QString url, DemoRegistry::Options demo,
                             InProcessConnector::Options attach, QObject* parent)
    : Connector(parent)
    , m_url(std::move(url))
    , m_demo(std::make_unique<DemoRegistry>(demo)) {
    attach.url = m_url;
    m_attach = std::make_unique<InProcessConnector>(m_demo->registry(), attach);
    connect(m_attach.get(), &Connector::eventsReady, this, &Connector::eventsReady,
            Qt::DirectConnection);
}

DemoConnector::~DemoConnector() {
    stop();
}

void DemoConnector::start() {
    m_attach->start();
    m_demo->startWorkload();
}

void DemoConnector::stop() {
    m_attach->stop();
    m_demo->stopWorkload();
}

} // namespace regscope
