#include "models/Store.h"

#include "models/RecordTable.h"

#include <QDateTime>
#include <QThread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
constexpr qsizetype kLargeSnapshot = 100000;

qint64 timelineCost(const TimelineEvent& e) {
    return 96 + 2 * qint64(e.category.size() + e.subject.size() + e.text.size());
}
qint64 clusterCost(const ClusterSample& c) {
    return 128 + qint64(c.members.size()) * 256;
}

template <class... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};
} // namespace

Store::Store(QObject* parent)
    : Store(Options{}, parent) {}

Store::Store(Options options, QObject* parent)
    : QObject(parent)
    , m_options(options)
    , m_metrics([&options] {
        // The timeline and cluster samples get their share; the metrics take the rest.
        MetricHistory::Options o = options.metricHistory;
        o.budgetBytes = std::min(
            o.budgetBytes, std::max<qint64>(1 << 20, options.historyBudgetBytes - (8LL << 20)));
        return o;
    }()) {
    for (auto& t : m_tables)
        t = std::make_unique<RecordTable>();
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(m_options.flushIntervalMs);
    connect(&m_flushTimer, &QTimer::timeout, this, &Store::flush);
    qRegisterMetaType<regscope::RecordKind>();
    qRegisterMetaType<regscope::MetricsSample>();
    qRegisterMetaType<regscope::SourceHealth>();
    qRegisterMetaType<regscope::TimelineEvent>();
    qRegisterMetaType<regscope::EventBatchPtr>();
    qRegisterMetaType<regscope::LeaseInfo>();
    qRegisterMetaType<regscope::ClusterSample>();
    qRegisterMetaType<regscope::ProgressEvent>();
    qRegisterMetaType<regscope::RevisionState>();
}

Store::~Store() = default;

void Store::apply(EventBatchPtr batch) {
    Q_ASSERT(QThread::currentThread() == thread());
    if (!batch || batch->empty())
        return;
    qsizetype weight = 0;
    for (const SourceEvent& e : *batch) {
        if (const auto* s = std::get_if<SnapshotEvent>(&e))
            weight += qsizetype(s->records.size());
        else
            ++weight;
    }
    m_pending.push_back(std::move(batch));
    m_pendingEvents += weight;
    if (m_pendingEvents >= m_options.flushAtPendingEvents)
        flush();
    else
        scheduleFlush();
}

void Store::scheduleFlush() {
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void Store::flush() {
    Q_ASSERT(QThread::currentThread() == thread());
    m_flushTimer.stop();
    if (m_pending.empty())
        return;
    std::vector<EventBatchPtr> pending;
    pending.swap(m_pending);
    m_pendingEvents = 0;

    std::array<bool, kKinds> snapshotted{};
    std::vector<MetricsSample> samples;
    QList<TimelineEvent> timeline;
    QList<LeaseInfo> leases;
    std::vector<ClusterSample> clusterSamples;
    bool healthMoved = false;
    bool progressMoved = false;
    qsizetype largestSnapshot = 0;
    const auto appendTimeline = [&](const TimelineEvent& e) {
        m_timeline.push_back(e);
        m_timelineBytes += timelineCost(e);
        while (qsizetype(m_timeline.size()) > m_options.maxTimelineEvents) {
            m_timelineBytes -= timelineCost(m_timeline.front());
            m_timeline.pop_front();
        }
        timeline.append(e);
    };

    for (const EventBatchPtr& batch : pending) {
        for (const SourceEvent& event : *batch) {
            ++m_eventsApplied;
            std::visit(
                Overloaded{
                    [&](const SnapshotEvent& e) {
                        table(e.kind).mergeSnapshot(e.records);
                        snapshotted[int(e.kind)] = true;
                        largestSnapshot = std::max(largestSnapshot, qsizetype(e.records.size()));
                    },
                    [&](const UpsertEvent& e) { table(kindOf(e.record)).upsert(e.record); },
                    [&](const RemoveEvent& e) { table(e.kind).remove(e.id); },
                    [&](const MetricsSample& e) {
                        m_metrics.append(e);
                        samples.push_back(e);
                    },
                    [&](const SourceHealth& e) {
                        if (e.state != m_health.state || e.reason != m_health.reason) {
                            m_health = e;
                            healthMoved = true;
                            // Health moves belong on the timeline, in source order.
                            appendTimeline(TimelineEvent{QDateTime::currentMSecsSinceEpoch(),
                                                         u"health"_s, toString(e.state), e.reason});
                        }
                    },
                    [&](const TimelineEvent& e) { appendTimeline(e); },
                    [&](const LeasesEvent& e) {
                        for (const LeaseInfo& l : e.leases) {
                            if (l.ttl < 0)
                                m_leases.remove(l.id);
                            else if (m_leases.size() < m_options.maxLeases ||
                                     m_leases.contains(l.id))
                                m_leases.insert(l.id, l);
                            leases.append(l);
                        }
                    },
                    [&](const ClusterSample& e) {
                        m_cluster.push_back(e);
                        while (qsizetype(m_cluster.size()) > m_options.maxClusterSamples)
                            m_cluster.pop_front();
                        clusterSamples.push_back(e);
                    },
                    [&](const ProgressEvent& e) {
                        if (e != m_progress) {
                            m_progress = e;
                            progressMoved = true;
                        }
                    },
                },
                event);
        }
    }
    pending.clear(); // release the connectors' batches before the models build their rows

    for (int k = 0; k < kKinds; ++k) {
        RecordTable& t = *m_tables[k];
        if (!t.hasChanges())
            continue;
        QStringList upserted;
        QStringList removed;
        t.takeChanges(&upserted, &removed, &m_changedRecords);
        m_changedKind = RecordKind(k);
        if (!upserted.isEmpty() || !removed.isEmpty())
            Q_EMIT recordsChanged(RecordKind(k), upserted, removed);
        m_changedRecords.clear();
    }
    m_changedRecords.shrink_to_fit();
    for (int k = 0; k < kKinds; ++k) {
        if (snapshotted[k])
            Q_EMIT snapshotApplied(RecordKind(k));
    }
    if (healthMoved)
        Q_EMIT healthChanged(m_health);
    if (timeline.size() > m_options.maxTimelineEvents)
        timeline = timeline.sliced(timeline.size() - m_options.maxTimelineEvents);
    if (!timeline.isEmpty())
        Q_EMIT timelineAppended(timeline);
    for (const MetricsSample& s : samples)
        Q_EMIT metricsSampled(s);
    if (!leases.isEmpty())
        Q_EMIT leasesUpdated(leases);
    for (const ClusterSample& c : clusterSamples)
        Q_EMIT clusterSampled(c);
    if (progressMoved)
        Q_EMIT progressChanged(m_progress);
#ifdef __GLIBC__
    // A big snapshot leaves its transient id lists freed between long-lived rows; hand
    // those pages back so RSS reflects what is alive.
    if (largestSnapshot >= kLargeSnapshot)
        malloc_trim(0);
#endif
    Q_EMIT flushed();
}

void Store::clear() {
    Q_ASSERT(QThread::currentThread() == thread());
    flush();
    for (int k = 0; k < kKinds; ++k) {
        RecordTable& t = *m_tables[k];
        t.clear();
        QStringList upserted;
        QStringList removed;
        t.takeChanges(&upserted, &removed);
        if (!removed.isEmpty())
            Q_EMIT recordsChanged(RecordKind(k), upserted, removed);
    }
    m_metrics.clear();
    m_timeline.clear();
    m_timelineBytes = 0;
    m_cluster.clear();
    m_leases.clear();
    m_progress = ProgressEvent{};
    m_health = SourceHealth{};
    Q_EMIT healthChanged(m_health);
    Q_EMIT progressChanged(m_progress);
    Q_EMIT cleared();
}

qint64 Store::historyBytes() const {
    qint64 cluster = 0;
    for (const ClusterSample& c : m_cluster)
        cluster += clusterCost(c);
    return m_metrics.bytes() + m_timelineBytes + cluster;
}

const std::vector<const Record*>& Store::changedRecords(RecordKind kind) const {
    static const std::vector<const Record*> none;
    return kind == m_changedKind ? m_changedRecords : none;
}

const Record* Store::find(RecordKind kind, const QString& id) const {
    return table(kind).find(id);
}

qsizetype Store::count(RecordKind kind) const {
    return table(kind).size();
}

void Store::forEach(RecordKind kind, const std::function<void(const Record&)>& fn) const {
    table(kind).forEach(fn);
}

} // namespace regscope
