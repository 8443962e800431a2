#pragma once
// The loop of AttachConnector's thread: connect, handshake, hello, snapshots, then changes,
// metrics and audit records as they come, batched; on the end of a connection Down with the
// reason, and with reattach on, a look for the program every reattachPollMs.

#include "connectors/attach/AttachConnector.h"
#include "connectors/attach/AttachDecode.h"
#include "connectors/attach/AttachSocket.h"

#include <QElapsedTimer>
#include <QHash>
#include <QSet>

#include <atomic>
#include <functional>
#include <mutex>

namespace regscope {

class AttachWorker {
public:
    using Emit = std::function<void(EventBatchPtr)>;
    AttachWorker(AttachConnector::Options options, Emit sink);
    ~AttachWorker();

    void run();
    // From any thread: the loop returns within one wait.
    void requestStop();
    // After this the sink is never called again (the connector is going away).
    void detach();

private:
    struct RegistryState {
        QSet<QString> ids;     // what the store holds of this registry
        QSet<QString> pending; // ids of the snapshot being received
        bool inSnapshot = false;
        bool resync = false;
        QString reason;
    };
    enum class End : quint8 { Stopped, Lost };

    End session(const QString& path, QString* why);
    bool handleFrame(const QJsonObject& frame, QString* why);
    void onSnapshot(const QJsonObject& frame);
    void finishSnapshot(const QString& registry, RegistryState& state);
    void finishInitial();
    void onChange(const QJsonObject& frame);
    QString endReason(const QString& fallback);
    QString findReattachTarget();
    bool sleepFor(int ms); // false when stopping
    void push(SourceEvent event);
    void flush(bool force);
    void emitNow(SourceEvent event);

    AttachConnector::Options m_options;
    Emit m_emit;
    std::mutex m_emitMutex;
    bool m_detached = false;
    std::atomic<bool> m_stopping{false};
    int m_wakeFd = -1;

    QString m_path; // the socket attached (or being attached) now
    // Per connection.
    attach::HostInfo m_host;
    bool m_haveHost = false;
    bool m_initial = true;          // before every hello registry's first snapshot ended
    QSet<QString> m_initialPending; // registries whose first snapshot is still coming
    std::vector<Record> m_initialRecords;
    EventBatch m_deferred; // changes that came during the initial snapshots
    QString m_lastErrorCode;
    QString m_lastErrorMessage;
    attach::MetricsMerger m_metrics;
    // Across connections: the store's view of each registry (for targeted resyncs).
    QHash<QString, RegistryState> m_registries;

    std::shared_ptr<EventBatch> m_batch;
    QElapsedTimer m_batchAge;
};

} // namespace regscope
