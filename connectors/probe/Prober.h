#pragma once
// Probes registered instance addresses on its own thread (issue 13 §3) and reports each
// verdict as a ProbeEvent in EventBatches, like a connector. By scheme: http(s):// GETs the
// health path (below 500: up, else unhealthy), grpc:// calls grpc.health.v1.Health/Check,
// anything else is a TCP connect. Bounded: at most maxInFlight probes at once and
// ratePerSecond started (a token bucket of one token plus 1 ms worth: evenly paced), a timeout per
// probe, each address probed again intervalMs after its last probe started. I/O is
// non-blocking (Qt sockets and gRPC's callback API on the prober's thread): nothing here
// runs on the GUI thread. Keeps the Connector stop() contract.

#include "models/ProbeControl.h"
#include "models/SourceEvent.h"

#include <QObject>
#include <QStringList>

#include <atomic>
#include <memory>
#include <vector>

class QThread;

namespace regscope {

class ProberWorker;

// One instance and the addresses it registered now.
struct ProbeTarget {
    QString instanceId;
    QStringList addrs;
};

class Prober : public QObject {
    Q_OBJECT
public:
    // Counters the prober keeps while it runs (read from any thread).
    struct Stats {
        std::atomic<quint64> started{0};
        std::atomic<quint64> finished{0};
        std::atomic<int> inFlight{0};
        std::atomic<int> maxInFlight{0}; // the most seen at once
    };

    explicit Prober(ProbeLimits limits, QObject* parent = nullptr);
    ~Prober() override; // stop()

    void start();
    // Within kConnectorStopDeadlineMs; afterwards nothing reaches eventsReady.
    void stop();
    bool running() const { return m_worker != nullptr; }
    const ProbeLimits& limits() const { return m_limits; }
    const Stats& stats() const { return *m_stats; }

    // From the owner's thread, queued to the prober's: these instances now register these
    // addresses (new addresses are probed at once, as the bucket allows; gone ones stop);
    // these instances are gone; forget everything.
    void updateTargets(std::vector<ProbeTarget> upserted, QStringList removed = {});
    void clearTargets();

Q_SIGNALS:
    // From the prober's thread: a batch of ProbeEvents.
    void eventsReady(regscope::EventBatchPtr batch);

private:
    ProbeLimits m_limits;
    std::shared_ptr<Stats> m_stats;
    QThread* m_thread = nullptr;
    ProberWorker* m_worker = nullptr;
};

} // namespace regscope
