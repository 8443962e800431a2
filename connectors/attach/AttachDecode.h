#pragma once
// Attach protocol frames (docs/attach-protocol.md §4.1) into the app's typed events, with the
// metric names the demo uses (models/MetricNames.h) so every panel reads an attached process
// as it reads the demo.

#include "models/SourceEvent.h"
#include "models/registry/Metrics.h"

#include <QHash>
#include <QJsonObject>

#include <optional>

namespace regscope::attach {

// What `hello` says about the host.
struct HostInfo {
    qint64 pid = 0;
    QString exe;
    QString processName;
    QStringList argv;
    qint64 startTimeMs = 0;
    QString libraryVersion;
    qint64 uid = -1;
    struct Registry {
        QString name;
        qint64 entries = 0;
        qint64 aliases = 0;
    };
    std::vector<Registry> registries;

    // "process 1234 (myapp)"
    QString label() const;
    // One line for --list-attachable and the Attach dialog: pid, exe, name, registries...
    QJsonObject toJson(const QString& socketPath) const;
};
HostInfo decodeHello(const QJsonObject& hello);

// An entry object of a snapshot or change, in `registry`.
EntryRecord decodeEntry(const QJsonObject& entry, const QString& registry);

// A `change` frame: the store events and timeline line it means; the upserted/removed ids
// are returned so the connector can keep its per-registry id set.
struct ChangeResult {
    std::optional<QString> upsertedId;
    std::optional<QString> removedId;
    bool gone = false; // op "gone": the registry was destroyed
};
ChangeResult appendChange(const QJsonObject& change, EventBatch* out);

// Keeps the last metrics of each registry and sums them into one sample per round, latency
// quantiles per interval (as InProcessWorker does for one registry).
class MetricsMerger {
public:
    // Returns a sample when a round is complete (every known registry reported once, or one
    // reported twice).
    std::optional<MetricsSample> add(const QJsonObject& metrics, qsizetype registryCount);
    void forget(const QString& registry);

private:
    MetricsSample merged(qint64 timestampMs);
    QHash<QString, registry::MetricsSnapshot> m_last;
    QHash<QString, bool> m_round;
    std::optional<registry::LatencyHistogram> m_previous; // the last merged histogram
};

} // namespace regscope::attach
