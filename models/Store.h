#pragma once
// The single truth on the GUI thread: applies the connectors' events, coalesces them into
// flushes (every ~50 ms, or at once when a lot is pending), keeps bounded history, and tells
// item models which records changed — once per kind per flush, never a reset.

#include "models/MetricHistory.h"
#include "models/SourceEvent.h"

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QTimer>

#include <array>
#include <deque>
#include <functional>

namespace regscope {

class RecordTable;

class Store : public QObject {
    Q_OBJECT
public:
    struct Options {
        int flushIntervalMs = 50;
        qsizetype flushAtPendingEvents = 20000; // flush at once past this many events
        // Metric history: 1 s for an hour, 10 s for a day, 1 min for a week, in a budget.
        MetricHistory::Options metricHistory;
        qsizetype maxTimelineEvents = 10000;
        qint64 historyBudgetBytes = 64LL << 20; // metrics + timeline + cluster samples
        qsizetype maxLeases = 100000;           // lease TTLs kept (the latest per lease)
        qsizetype maxClusterSamples = 900;      // 30 min at one poll per 2 s
    };

    explicit Store(QObject* parent = nullptr);
    Store(Options options, QObject* parent = nullptr);
    ~Store() override;

public Q_SLOTS:
    // Queued from connectors; the events are applied on the next flush.
    void apply(regscope::EventBatchPtr batch);
    // Applies everything pending now (tests, shutdown, --dump).
    void flush();
    // Forgets every record and the history (a new source was attached). Emits removals.
    void clear();

public:
    const Record* find(RecordKind kind, const QString& id) const;
    qsizetype count(RecordKind kind) const;
    void forEach(RecordKind kind, const std::function<void(const Record&)>& fn) const;
    SourceHealth health() const { return m_health; }
    // While recordsChanged(kind, ...) is being emitted: the upserted records, in the order of
    // upsertedIds (saves a find() per id in big flushes). Empty at any other time.
    const std::vector<const Record*>& changedRecords(RecordKind kind) const;

    // Bounded history, oldest first. metricsHistory() rebuilds the samples from the compact
    // history (for a view that starts late); metrics() is the history itself.
    std::vector<MetricsSample> metricsHistory() const { return m_metrics.samples(); }
    const MetricHistory& metrics() const { return m_metrics; }
    // What all history costs now, against its budget (the status bar shows both).
    qint64 historyBytes() const;
    qint64 historyBudgetBytes() const { return m_options.historyBudgetBytes; }
    const std::deque<TimelineEvent>& timeline() const { return m_timeline; }
    const std::deque<ClusterSample>& clusterHistory() const { return m_cluster; }
    // The latest TTL of every live lease the source reported (gone leases are dropped).
    const QHash<qint64, LeaseInfo>& leases() const { return m_leases; }
    // The current (or last) long load of the source; what is empty when none was reported.
    const ProgressEvent& progress() const { return m_progress; }
    const Options& options() const { return m_options; }

    // Totals since construction, for the status bar's event rate.
    quint64 eventsApplied() const { return m_eventsApplied; }
    qsizetype pendingEvents() const { return m_pendingEvents; }

Q_SIGNALS:
    // After the store is updated; ids deduplicated; upserted = inserted or changed.
    void recordsChanged(regscope::RecordKind kind, const QStringList& upsertedIds,
                        const QStringList& removedIds);
    void snapshotApplied(regscope::RecordKind kind);
    void metricsSampled(const regscope::MetricsSample& sample);
    void healthChanged(const regscope::SourceHealth& health); // also put on the timeline
    void timelineAppended(const QList<regscope::TimelineEvent>& events);
    // Lease TTLs as fetched in this flush (ttl -1: gone), in source order.
    void leasesUpdated(const QList<regscope::LeaseInfo>& leases);
    void clusterSampled(const regscope::ClusterSample& sample);
    void progressChanged(const regscope::ProgressEvent& progress);
    // After clear(): everything that belonged to the old source is gone (records are also
    // reported removed through recordsChanged).
    void cleared();
    void flushed();

private:
    static constexpr int kKinds = 3;
    RecordTable& table(RecordKind kind) { return *m_tables[static_cast<int>(kind)]; }
    const RecordTable& table(RecordKind kind) const { return *m_tables[static_cast<int>(kind)]; }
    void scheduleFlush();

    Options m_options;
    std::array<std::unique_ptr<RecordTable>, kKinds> m_tables;
    std::vector<EventBatchPtr> m_pending;
    qsizetype m_pendingEvents = 0;
    QTimer m_flushTimer;
    SourceHealth m_health;
    MetricHistory m_metrics;
    qint64 m_timelineBytes = 0;
    std::deque<TimelineEvent> m_timeline;
    std::deque<ClusterSample> m_cluster;
    QHash<qint64, LeaseInfo> m_leases;
    ProgressEvent m_progress;
    quint64 m_eventsApplied = 0;
    std::vector<const Record*> m_changedRecords;
    RecordKind m_changedKind = RecordKind::Entry;
};

} // namespace regscope

Q_DECLARE_METATYPE(regscope::RecordKind)
Q_DECLARE_METATYPE(regscope::MetricsSample)
Q_DECLARE_METATYPE(regscope::SourceHealth)
Q_DECLARE_METATYPE(regscope::TimelineEvent)
