#pragma once
// Attaches to a registry living in this process (models/registry): a snapshot at start, the
// registry's observer for changes (queued, bounded, drained every ~50 ms into one batch) and a
// metrics snapshot every second — all on the connector's own thread. The registry's threads
// only append to a small locked queue; they never touch Qt or the GUI thread.

#include "connectors/Connector.h"

#include <QThread>

#include <memory>

namespace regscope::registry {
class RegistryCore;
}

namespace regscope {

class InProcessWorker;
class ChangeQueue;

class InProcessConnector : public Connector {
    Q_OBJECT
public:
    struct Options {
        QString url = QStringLiteral("demo");
        int metricsIntervalMs = 1000;
        int batchIntervalMs = 50;
        qsizetype maxQueuedChanges = 50000; // past this: drop and resync from a snapshot
    };

    // Holds the registry weakly: when it is destroyed the connector goes Down with a reason.
    InProcessConnector(std::weak_ptr<registry::RegistryCore> registry, Options options,
                       QObject* parent = nullptr);
    explicit InProcessConnector(std::weak_ptr<registry::RegistryCore> registry,
                                QObject* parent = nullptr);
    ~InProcessConnector() override;

    void start() override;
    void stop() override;
    QString url() const override { return m_options.url; }

private:
    std::weak_ptr<registry::RegistryCore> m_registry;
    Options m_options;
    QThread m_thread;
    InProcessWorker* m_worker = nullptr; // lives on m_thread
    std::shared_ptr<ChangeQueue> m_queue;
    quint64 m_observerId = 0;
    bool m_started = false;
};

} // namespace regscope
