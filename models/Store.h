#pragma once
// The single truth on the GUI thread: applies the connectors' events, coalesces them into
// flushes (within 25 ms, or at once when a lot is pending), keeps bounded history, and tells
// item models which records changed — once per kind per flush, never a reset.

#include "models/MetricHistory.h"
#include "models/SourceEvent.h"

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>
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
        // The longest a pending event waits: 40 flushes a second at most, and a change reaches
        // its row within 50 ms p99 at 10,000 changes/s (bench_attach_app; 62 ms at 50).
        int flushIntervalMs = 25;
        qsizetype flushAtPendingEvents = 20000; // flush at once past this many events
        // Metric history: 1 s for an hour, 10 s for a day, 1 min for a week, in a budget.
        MetricHistory::Options metricHistory;
        qsizetype maxTimelineEvents = 10000;
        qint64 historyBudgetBytes = 64LL << 20; // metrics + timeline + cluster samples
        qsizetype maxLeases = 100000;           // lease TTLs kept (the latest per lease)
        qsizetype maxClusterSamples = 900;      // 30 min at one poll per 2 s
        qsizetype maxPlugins = 1024;            // latest PluginEvent per path
        qsizetype maxPluginHistory = 256;       // recent PluginEvents, all paths
        qsizetype maxProbedInstances = 250000;  // instances with probe verdicts kept
    };

    explicit Store(QObject* parent = nullptr);
    Store(Options options, QObject* parent = nullptr);
    ~Store() override;

public Q_SLOTS:
    // Queued from connectors; the events are applied on the next flush. A batch of only
    // "alert" timeline lines (models/alerts) is the app's own: it does not make the source fresh.
    void apply(regscope::EventBatchPtr batch);
    // Applies everything pending now (tests, shutdown, --dump).
    void flush();
    // Forgets every record and the history (a new source was attached). Emits removals.
    void clear();
    // Forgets every probe verdict (probing was turned off). Emits probesChanged.
    void clearProbes();

public:
    const Record* find(RecordKind kind, const QString& id) const;
    qsizetype count(RecordKind kind) const;
    void forEach(RecordKind kind, const std::function<void(const Record&)>& fn) const;
    // A slice of a scan over every record of a kind (RecordTable::scan): from 0, then the
    // returned position, until -1. For work too long for one event-loop turn.
    qsizetype scan(RecordKind kind, qsizetype from, qsizetype count,
                   const std::function<void(const Record&)>& fn) const;
    qsizetype scanLength(RecordKind kind) const; // the slots a whole scan visits
    SourceHealth health() const { return m_health; }
    // The highest revision (or generation) any applied snapshot, upsert or remove of this kind
    // carried; 0 before any (or when the source gives none). The state is as of this revision.
    qint64 revision(RecordKind kind) const { return m_revisions[static_cast<int>(kind)]; }
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
    // Plugins: the latest event per path (not cleared by a source switch) and a recent list.
    const QHash<QString, PluginEvent>& plugins() const { return m_plugins; }
    const std::deque<PluginEvent>& pluginHistory() const { return m_pluginHistory; }
    // Probe verdicts: the latest per address of each instance still here (null: none). A
    // verdict for an instance or address not in the store is dropped; an instance that goes
    // takes its verdicts along, and so does an address it no longer registers.
    const QList<ProbeEvent>* probes(const QString& instanceId) const;
    // The verdict that speaks for the instance: its worst address (refused, timeout,
    // unhealthy, up). Null when none.
    const ProbeEvent* probeSummary(const QString& instanceId) const;
    qsizetype probedInstances() const { return m_probes.size(); }

    // Freshness: when the source last delivered anything (wall clock ms; 0: never), and how
    // often it usually does (the median gap of recent deliveries, at least 1 s). Data is stale
    // when nothing came for 3x that (and at least 3 s).
    qint64 lastDeliveryMs() const { return m_lastDeliveryMs; }
    qint64 expectedIntervalMs() const;
    bool isStale(qint64 nowMs) const;

    // Totals since construction, for the status bar's event rate.
    quint64 eventsApplied() const { return m_eventsApplied; }
    qsizetype pendingEvents() const { return m_pendingEvents; }

Q_SIGNALS:
    // After the store is updated; ids deduplicated; upserted = inserted or changed. A record
    // keeps its address while it is alive (an update changes it in place), and one removed in
    // this flush is still readable at its old address while this is emitted: a model may hold
    // pointers to the Store's records instead of copies.
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
    // The plugin events of one flush, in order (PluginModel applies them).
    void pluginsChanged(const QList<regscope::PluginEvent>& events);
    // The instances whose probe verdicts changed (or went) in this flush, after
    // recordsChanged.
    void probesChanged(const QStringList& instanceIds);
    void flushed();

private:
    static constexpr int kKinds = 3;
    RecordTable& table(RecordKind kind) { return *m_tables[static_cast<int>(kind)]; }
    const RecordTable& table(RecordKind kind) const { return *m_tables[static_cast<int>(kind)]; }
    struct Flush; // what one flush gathers for its signals
    void scheduleFlush();
    void flushSoon(); // on the next event-loop turn
    bool applyRecordEvent(const SourceEvent& event, SourceEvent* own, Flush& f);
    void applyEvent(const SourceEvent& event, Flush& f);
    void appendTimeline(const TimelineEvent& e, Flush& f);
    void noteRevision(RecordKind kind, qint64 revision);
    void emitRecordChanges(Flush& f);
    void emitFlush(Flush& f);
    bool healthIsNews(const SourceHealth& health);
    void applyPlugin(const PluginEvent& e, QList<PluginEvent>& changed);
    void applyProbe(const ProbeEvent& e, QSet<QString>& changed);
    void pruneProbes(const QStringList& upserted, const QStringList& removed,
                     QSet<QString>& changed);

    Options m_options;
    std::array<std::unique_ptr<RecordTable>, kKinds> m_tables;
    std::array<qint64, kKinds> m_revisions{};
    std::vector<EventBatchPtr> m_pending;
    qsizetype m_pendingEvents = 0;
    QTimer m_flushTimer;
    bool m_flushPosted = false;
    SourceHealth m_health;
    SourceHealth m_lastLoggedHealth; // the last health move put on the timeline
    MetricHistory m_metrics;
    qint64 m_timelineBytes = 0;
    std::deque<TimelineEvent> m_timeline;
    std::deque<ClusterSample> m_cluster;
    QHash<qint64, LeaseInfo> m_leases;
    ProgressEvent m_progress;
    QHash<QString, PluginEvent> m_plugins;
    std::deque<PluginEvent> m_pluginHistory;
    QHash<QString, QList<ProbeEvent>> m_probes; // instance id → one per address
    quint64 m_eventsApplied = 0;
    qint64 m_lastDeliveryMs = 0;
    std::deque<qint64> m_deliveryGaps; // the last few gaps between deliveries
    std::vector<const Record*> m_changedRecords;
    RecordKind m_changedKind = RecordKind::Entry;
};

} // namespace regscope

Q_DECLARE_METATYPE(regscope::RecordKind)
Q_DECLARE_METATYPE(regscope::MetricsSample)
Q_DECLARE_METATYPE(regscope::SourceHealth)
Q_DECLARE_METATYPE(regscope::TimelineEvent)
Q_DECLARE_METATYPE(regscope::PluginEvent)
