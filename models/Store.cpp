#include "models/Store.h"

#include "models/RecordTable.h"

#include <QDateTime>
#include <QRegularExpression>
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
    qRegisterMetaType<regscope::PluginEvent>();
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
    bool plugin = false;
    bool snapshot = false;
    bool local = true; // only the app's own alert lines: not a delivery of the source
    for (const SourceEvent& e : *batch) {
        if (const auto* s = std::get_if<SnapshotEvent>(&e)) {
            weight += qsizetype(s->records.size());
            snapshot = true;
        } else {
            ++weight;
        }
        plugin = plugin || std::holds_alternative<PluginEvent>(e);
        const auto* line = std::get_if<TimelineEvent>(&e);
        local = local && line && line->category == u"alert";
    }
    // Still held elsewhere (by the queued call that brought it, while this slot runs).
    const bool shared = batch.use_count() > 1;
    m_pending.push_back(std::move(batch));
    m_pendingEvents += weight;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (local) {
        scheduleFlush();
        return;
    }
    if (m_lastDeliveryMs > 0 && now - m_lastDeliveryMs >= 50) { // bursts count as one
        m_deliveryGaps.push_back(now - m_lastDeliveryMs);
        if (m_deliveryGaps.size() > 15)
            m_deliveryGaps.pop_front();
    }
    if (m_lastDeliveryMs == 0 || now - m_lastDeliveryMs >= 50)
        m_lastDeliveryMs = now;
    if (m_pendingEvents >= m_options.flushAtPendingEvents && snapshot && shared)
        flushSoon(); // once the queued call lets go, the snapshot is adopted instead of copied
    else if (m_pendingEvents >= m_options.flushAtPendingEvents)
        flush();
    else if (plugin) // rare, and someone is waiting for the verdict: the next loop turn
        QMetaObject::invokeMethod(this, &Store::flush, Qt::QueuedConnection);
    else
        scheduleFlush();
}

void Store::flushSoon() {
    if (m_flushPosted)
        return;
    m_flushPosted = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_flushPosted = false;
            flush();
        },
        Qt::QueuedConnection);
}

void Store::scheduleFlush() {
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

// What one flush gathers for its signals.
struct Store::Flush {
    std::array<bool, kKinds> snapshotted{};
    std::vector<MetricsSample> samples;
    QList<TimelineEvent> timeline;
    QList<LeaseInfo> leases;
    std::vector<ClusterSample> clusterSamples;
    QList<PluginEvent> plugins;
    QSet<QString> probed;
    bool healthMoved = false;
    bool progressMoved = false;
    qsizetype largestSnapshot = 0;
};

void Store::flush() {
    Q_ASSERT(QThread::currentThread() == thread());
    m_flushTimer.stop();
    if (m_pending.empty())
        return;
    std::vector<EventBatchPtr> pending;
    pending.swap(m_pending);
    m_pendingEvents = 0;
    Flush f;
    for (const EventBatchPtr& batch : pending) {
        // A batch nobody else holds any more (the connector let go, and so did the queued
        // call that carried it) gives its records up: they are moved in, not copied, and a
        // first snapshot's vector becomes the table's slots. Batches are made non-const
        // (std::make_shared<EventBatch>), so this is the owner writing to its own object.
        EventBatch* own = batch.use_count() == 1 ? const_cast<EventBatch*>(batch.get()) : nullptr;
        for (size_t at = 0; at < batch->size(); ++at) {
            ++m_eventsApplied;
            const SourceEvent& event = (*batch)[at];
            if (!applyRecordEvent(event, own ? &(*own)[at] : nullptr, f))
                applyEvent(event, f);
        }
    }
    pending.clear(); // release the connectors' batches before the models build their rows
    emitRecordChanges(f);
    emitFlush(f);
}

void Store::noteRevision(RecordKind kind, qint64 revision) {
    qint64& r = m_revisions[int(kind)];
    r = std::max(r, revision);
}

// Snapshots, upserts and removes; false for any other event. `own`: the same event in a batch
// the Store alone holds, whose records may be moved out.
bool Store::applyRecordEvent(const SourceEvent& event, SourceEvent* own, Flush& f) {
    if (const auto* e = std::get_if<SnapshotEvent>(&event)) {
        f.largestSnapshot = std::max(f.largestSnapshot, qsizetype(e->records.size()));
        if (own)
            table(e->kind).mergeSnapshot(std::move(std::get<SnapshotEvent>(*own).records));
        else
            table(e->kind).mergeSnapshot(e->records);
        noteRevision(e->kind, e->revision);
        f.snapshotted[int(e->kind)] = true;
        return true;
    }
    if (const auto* e = std::get_if<UpsertEvent>(&event)) {
        const RecordKind kind = kindOf(e->record);
        if (own)
            table(kind).upsert(std::move(std::get<UpsertEvent>(*own).record));
        else
            table(kind).upsert(e->record);
        noteRevision(kind, e->revision);
        return true;
    }
    if (const auto* e = std::get_if<RemoveEvent>(&event)) {
        table(e->kind).remove(e->id);
        noteRevision(e->kind, e->revision);
        return true;
    }
    return false;
}

void Store::appendTimeline(const TimelineEvent& e, Flush& f) {
    // Kept in time order whatever order the sources report in (a late event slots in).
    if (m_timeline.empty() || m_timeline.back().timestampMs <= e.timestampMs)
        m_timeline.push_back(e);
    else
        m_timeline.insert(std::upper_bound(m_timeline.begin(), m_timeline.end(), e,
                                           [](const TimelineEvent& a, const TimelineEvent& b) {
                                               return a.timestampMs < b.timestampMs;
                                           }),
                          e);
    m_timelineBytes += timelineCost(e);
    while (qsizetype(m_timeline.size()) > m_options.maxTimelineEvents) {
        m_timelineBytes -= timelineCost(m_timeline.front());
        m_timeline.pop_front();
    }
    f.timeline.append(e);
}

// Every event but the records'.
void Store::applyEvent(const SourceEvent& event, Flush& f) {
    std::visit(Overloaded{
                   [](const SnapshotEvent&) {},
                   [](const UpsertEvent&) {},
                   [](const RemoveEvent&) {},
                   [&](const MetricsSample& e) {
                       m_metrics.append(e);
                       f.samples.push_back(e);
                   },
                   [&](const SourceHealth& e) {
                       if (e.state == m_health.state && e.reason == m_health.reason)
                           return;
                       m_health = e;
                       f.healthMoved = true;
                       // Health moves belong on the timeline, but a retry loop is one line,
                       // not two per attempt: "connecting" after "down" and the same "down"
                       // again are not news.
                       if (healthIsNews(e))
                           appendTimeline(TimelineEvent{QDateTime::currentMSecsSinceEpoch(),
                                                        u"health"_s, toString(e.state), e.reason},
                                          f);
                   },
                   [&](const TimelineEvent& e) { appendTimeline(e, f); },
                   [&](const LeasesEvent& e) {
                       for (const LeaseInfo& l : e.leases) {
                           if (l.ttl < 0)
                               m_leases.remove(l.id);
                           else if (m_leases.size() < m_options.maxLeases ||
                                    m_leases.contains(l.id))
                               m_leases.insert(l.id, l);
                           f.leases.append(l);
                       }
                   },
                   [&](const ClusterSample& e) {
                       m_cluster.push_back(e);
                       while (qsizetype(m_cluster.size()) > m_options.maxClusterSamples)
                           m_cluster.pop_front();
                       f.clusterSamples.push_back(e);
                   },
                   [&](const ProgressEvent& e) {
                       if (e != m_progress) {
                           m_progress = e;
                           f.progressMoved = true;
                       }
                   },
                   [&](const PluginEvent& e) { applyPlugin(e, f.plugins); },
                   [&](const ProbeEvent& e) { applyProbe(e, f.probed); },
               },
               event);
}

void Store::emitRecordChanges(Flush& f) {
    for (int k = 0; k < kKinds; ++k) {
        RecordTable& t = *m_tables[k];
        if (!t.hasChanges())
            continue;
        QStringList upserted;
        QStringList removed;
        t.takeChanges(&upserted, &removed, &m_changedRecords);
        if (RecordKind(k) == RecordKind::Instance && !m_probes.isEmpty())
            pruneProbes(upserted, removed, f.probed);
        m_changedKind = RecordKind(k);
        if (!upserted.isEmpty() || !removed.isEmpty())
            Q_EMIT recordsChanged(RecordKind(k), upserted, removed);
        m_changedRecords.clear();
    }
    m_changedRecords.shrink_to_fit();
    for (auto& t : m_tables)
        t->releaseRemoved(); // the removals were told: their records may go now
    for (int k = 0; k < kKinds; ++k) {
        if (f.snapshotted[k])
            Q_EMIT snapshotApplied(RecordKind(k));
    }
}

void Store::emitFlush(Flush& f) {
    if (f.healthMoved)
        Q_EMIT healthChanged(m_health);
    if (f.timeline.size() > m_options.maxTimelineEvents)
        f.timeline = f.timeline.sliced(f.timeline.size() - m_options.maxTimelineEvents);
    if (!f.timeline.isEmpty())
        Q_EMIT timelineAppended(f.timeline);
    for (const MetricsSample& s : f.samples)
        Q_EMIT metricsSampled(s);
    if (!f.leases.isEmpty())
        Q_EMIT leasesUpdated(f.leases);
    for (const ClusterSample& c : f.clusterSamples)
        Q_EMIT clusterSampled(c);
    if (f.progressMoved)
        Q_EMIT progressChanged(m_progress);
    if (!f.plugins.isEmpty())
        Q_EMIT pluginsChanged(f.plugins);
    if (!f.probed.isEmpty())
        Q_EMIT probesChanged(QStringList(f.probed.cbegin(), f.probed.cend()));
#ifdef __GLIBC__
    // A big snapshot leaves its transient id lists freed between long-lived rows; hand
    // those pages back so RSS reflects what is alive.
    if (f.largestSnapshot >= kLargeSnapshot)
        malloc_trim(0);
#endif
    Q_EMIT flushed();
}

void Store::applyPlugin(const PluginEvent& e, QList<PluginEvent>& changed) {
    if (e.removed)
        m_plugins.remove(e.path);
    else if (m_plugins.contains(e.path) || m_plugins.size() < m_options.maxPlugins)
        m_plugins.insert(e.path, e);
    else
        return; // bounded: a new path past the bound is dropped
    m_pluginHistory.push_back(e);
    while (qsizetype(m_pluginHistory.size()) > m_options.maxPluginHistory)
        m_pluginHistory.pop_front();
    changed.append(e);
}

void Store::applyProbe(const ProbeEvent& e, QSet<QString>& changed) {
    const Record* rec = table(RecordKind::Instance).find(e.instanceId);
    const auto* instance = rec ? std::get_if<InstanceRecord>(rec) : nullptr;
    if (!instance || !instance->addrs.contains(e.addr))
        return; // late: the instance (or that address) went while the probe ran
    auto it = m_probes.find(e.instanceId);
    if (it == m_probes.end()) {
        if (m_probes.size() >= m_options.maxProbedInstances)
            return;
        it = m_probes.insert(e.instanceId, {});
    }
    const auto at = std::find_if(it->begin(), it->end(),
                                 [&e](const ProbeEvent& p) { return p.addr == e.addr; });
    if (at == it->end())
        it->append(e);
    else if (!(*at == e))
        *at = e;
    else
        return;
    changed.insert(e.instanceId);
}

void Store::pruneProbes(const QStringList& upserted, const QStringList& removed,
                        QSet<QString>& changed) {
    for (const QString& id : removed)
        if (m_probes.remove(id))
            changed.insert(id);
    for (const QString& id : upserted) {
        const auto it = m_probes.find(id);
        if (it == m_probes.end())
            continue;
        const auto* r = std::get_if<InstanceRecord>(table(RecordKind::Instance).find(id));
        const auto gone = [r](const ProbeEvent& p) { return !r || !r->addrs.contains(p.addr); };
        if (it->removeIf(gone) == 0)
            continue;
        changed.insert(id);
        if (it->isEmpty())
            m_probes.erase(it);
    }
}

void Store::clearProbes() {
    Q_ASSERT(QThread::currentThread() == thread());
    flush(); // verdicts already posted are dropped with the rest
    if (m_probes.isEmpty())
        return;
    const QStringList ids = m_probes.keys();
    m_probes.clear();
    Q_EMIT probesChanged(ids);
}

const QList<ProbeEvent>* Store::probes(const QString& instanceId) const {
    const auto it = m_probes.constFind(instanceId);
    return it == m_probes.cend() ? nullptr : &*it;
}

const ProbeEvent* Store::probeSummary(const QString& instanceId) const {
    const QList<ProbeEvent>* all = probes(instanceId);
    if (!all || all->isEmpty())
        return nullptr;
    // Worst first: no connection at all, then no answer, then a bad answer.
    const auto rank = [](ProbeState s) {
        switch (s) {
        case ProbeState::Refused:
            return 3;
        case ProbeState::Timeout:
            return 2;
        case ProbeState::Unhealthy:
            return 1;
        case ProbeState::Up:
            return 0;
        }
        return 0;
    };
    const ProbeEvent* worst = &all->front();
    for (const ProbeEvent& p : *all)
        if (rank(p.state) > rank(worst->state))
            worst = &p;
    return worst;
}

void Store::clear() {
    Q_ASSERT(QThread::currentThread() == thread());
    flush();
    if (!m_probes.isEmpty()) {
        const QStringList ids = m_probes.keys();
        m_probes.clear();
        Q_EMIT probesChanged(ids);
    }
    for (int k = 0; k < kKinds; ++k) {
        RecordTable& t = *m_tables[k];
        t.clear();
        QStringList upserted;
        QStringList removed;
        t.takeChanges(&upserted, &removed);
        if (!removed.isEmpty())
            Q_EMIT recordsChanged(RecordKind(k), upserted, removed);
        t.releaseRemoved();
    }
    m_metrics.clear();
    m_timeline.clear();
    m_timelineBytes = 0;
    m_lastLoggedHealth = SourceHealth{};
    m_lastDeliveryMs = 0;
    m_deliveryGaps.clear();
    m_cluster.clear();
    m_leases.clear();
    m_progress = ProgressEvent{};
    m_revisions = {};
    m_health = SourceHealth{};
    Q_EMIT healthChanged(m_health);
    Q_EMIT progressChanged(m_progress);
    Q_EMIT cleared();
}

qint64 Store::expectedIntervalMs() const {
    if (m_deliveryGaps.size() < 3)
        return 1000;
    std::vector<qint64> gaps(m_deliveryGaps.begin(), m_deliveryGaps.end());
    std::nth_element(gaps.begin(), gaps.begin() + qsizetype(gaps.size() / 2), gaps.end());
    return std::clamp<qint64>(gaps[gaps.size() / 2], 1000, 120'000);
}

bool Store::isStale(qint64 nowMs) const {
    if (m_lastDeliveryMs == 0)
        return false;
    return nowMs - m_lastDeliveryMs > std::max<qint64>(3000, 3 * expectedIntervalMs());
}

bool Store::healthIsNews(const SourceHealth& h) {
    // "retrying in 2 s" and "retrying in 4 s" are the same failure.
    static const QRegularExpression retry(u"[;,]? *retrying in [0-9.]+ *m?s\\.?$"_s);
    QString reason = h.reason;
    reason.remove(retry);
    const bool retryAfterDown =
        h.state == HealthState::Connecting && m_lastLoggedHealth.state == HealthState::Down;
    const bool sameDown = h.state == HealthState::Down &&
                          m_lastLoggedHealth.state == HealthState::Down &&
                          reason == m_lastLoggedHealth.reason;
    if (retryAfterDown || sameDown)
        return false;
    m_lastLoggedHealth = SourceHealth{h.state, reason};
    return true;
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

qsizetype Store::scan(RecordKind kind, qsizetype from, qsizetype count,
                      const std::function<void(const Record&)>& fn) const {
    return table(kind).scan(from, count, fn);
}

qsizetype Store::scanLength(RecordKind kind) const {
    return table(kind).slotCount();
}

} // namespace regscope
