#pragma once
// The `demo` source: owns a DemoRegistry (registry + workload) and attaches to it with an
// InProcessConnector. Starting starts the workload; stopping detaches, then stops it.

#include "connectors/Connector.h"
#include "connectors/inprocess/DemoRegistry.h"
#include "connectors/inprocess/InProcessConnector.h"

#include <memory>

namespace regscope {

class DemoConnector : public Connector {
    Q_OBJECT
public:
    DemoConnector(QString url, DemoRegistry::Options demo, InProcessConnector::Options attach,
                  QObject* parent = nullptr);
    ~DemoConnector() override;

    void start() override;
    void stop() override;
    QString url() const override { return m_url; }
    DemoRegistry& demo() { return *m_demo; }

private:
    QString m_url;
    std::unique_ptr<DemoRegistry> m_demo;
    std::unique_ptr<InProcessConnector> m_attach;
};

} // namespace regscope
