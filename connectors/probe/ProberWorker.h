#pragma once
// The prober's scheduler on its own thread: every (instance, address) is a job with a due
// time; a token bucket (capacity one: evenly paced) and an in-flight cap decide when the
// next due job starts. Verdicts are gathered and sent every 50 ms as one EventBatch.

#include "connectors/probe/ProbeAddress.h"
#include "connectors/probe/Prober.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>
#include <queue>

#include <expected>
#include <memory>
#include <vector>

namespace regscope {

class GrpcHealthProbes;

class ProberWorker : public QObject {
    Q_OBJECT
public:
    ProberWorker(ProbeLimits limits, std::shared_ptr<Prober::Stats> stats);
    ~ProberWorker() override;

    void updateTargets(const std::vector<ProbeTarget>& upserted, const QStringList& removed);
    void clearTargets();

Q_SIGNALS:
    void eventsReady(regscope::EventBatchPtr batch);

private:
    struct Job {
        QString instanceId;
        QString addr;
        std::expected<ProbeAddress, QString> address;
        quint64 generation = 0; // a job removed and added again is a new one
        bool inFlight = false;
    };
    struct Due {
        qint64 atMs;
        quint64 seq;
        QString key;
        quint64 generation;
        bool operator>(const Due& o) const { return atMs != o.atMs ? atMs > o.atMs : seq > o.seq; }
    };

    static QString keyOf(const QString& instanceId, const QString& addr);
    void addJob(const QString& instanceId, const QString& addr);
    void schedule(const QString& key, const Job& job, qint64 atMs);
    void pump();
    void launch(const QString& key, Job& job);
    void finished(const QString& key, quint64 generation, qint64 startedWallMs, qint64 startedNs,
                  ProbeState state, const QString& detail);
    void emitVerdict(ProbeEvent e);
    void sendOutbox();
    void wakeIn(qint64 ms);
    qint64 nowMs() const { return m_clock.elapsed(); }

    ProbeLimits m_limits;
    std::shared_ptr<Prober::Stats> m_stats;
    std::unique_ptr<GrpcHealthProbes> m_grpc;
    QHash<QString, Job> m_jobs;            // keyOf(instance, addr) → job
    QHash<QString, QStringList> m_addrsOf; // instance id → its addresses
    std::priority_queue<Due, std::vector<Due>, std::greater<>> m_due;
    quint64 m_seq = 0;
    quint64 m_generation = 0;
    int m_inFlight = 0;
    double m_tokens = 1;
    qint64 m_tokensAtNs = 0;
    QElapsedTimer m_clock;
    QTimer m_wake;
    QTimer m_send;
    EventBatch m_outbox;
    bool m_pumping = false;
    bool m_pumpAgain = false;
};

} // namespace regscope
