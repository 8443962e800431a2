#pragma once
// The single truth on the GUI thread: applies the connectors' events, coalesces them into
// flushes (every ~50 ms, or at once when a lot is pending), keeps bounded history, and tells
// item models which records changed — once per kind per flush, never a reset.

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
        qsizetype maxMetricsSamples = 4 * 3600; // 4 h at 1 s
        qsizetype maxTimelineEvents = 10000;
        qsizetype maxPlugins = 1024;      // latest PluginEvent per path
        qsizetype maxPluginHistory = 256; // recent PluginEvents, all paths
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

    // Bounded history, oldest first.
    const std::deque<MetricsSample>& metricsHistory() const { return m_metrics; }
    const std::deque<TimelineEvent>& timeline() const { return m_timeline; }
    const Options& options() const { return m_options; }
    // Plugins: the latest event per path (not cleared by a source switch) and a recent list.
    const QHash<QString, PluginEvent>& plugins() const { return m_plugins; }
    const std::deque<PluginEvent>& pluginHistory() const { return m_pluginHistory; }

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
    // The plugin events of one flush, in order (PluginModel applies them).
    void pluginsChanged(const QList<regscope::PluginEvent>& events);
    void flushed();

private:
    static constexpr int kKinds = 3;
    RecordTable& table(RecordKind kind) { return *m_tables[static_cast<int>(kind)]; }
    const RecordTable& table(RecordKind kind) const { return *m_tables[static_cast<int>(kind)]; }
    void scheduleFlush();
    void applyPlugin(const PluginEvent& e, QList<PluginEvent>& changed);

    Options m_options;
    std::array<std::unique_ptr<RecordTable>, kKinds> m_tables;
    std::vector<EventBatchPtr> m_pending;
    qsizetype m_pendingEvents = 0;
    QTimer m_flushTimer;
    SourceHealth m_health;
    std::deque<MetricsSample> m_metrics;
    std::deque<TimelineEvent> m_timeline;
    QHash<QString, PluginEvent> m_plugins;
    std::deque<PluginEvent> m_pluginHistory;
    quint64 m_eventsApplied = 0;
    std::vector<const Record*> m_changedRecords;
    RecordKind m_changedKind = RecordKind::Entry;
};

} // namespace regscope

Q_DECLARE_METATYPE(regscope::RecordKind)
Q_DECLARE_METATYPE(regscope::MetricsSample)
Q_DECLARE_METATYPE(regscope::SourceHealth)
Q_DECLARE_METATYPE(regscope::TimelineEvent)
Q_DECLARE_METATYPE(regscope::PluginEvent)
