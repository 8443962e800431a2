#include "models/alerts/AlertEngine.h"

#include "models/LookupRates.h"
#include "models/MetricNames.h"
#include "models/Store.h"

#include <QDateTime>
#include <QThread>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

constexpr double kMissClearFraction = 0.8; // the miss rate clears under 80 % of its threshold
constexpr qsizetype kNamesInMessage = 3;   // stale instances named in the message

QString hexLease(qint64 id) {
    return u"lease 0x%1"_s.arg(quint64(id), 0, 16);
}

} // namespace

AlertEngine::AlertEngine(Store* store, AlertRules rules, QObject* parent)
    : AlertEngine(store, std::move(rules), Options{}, parent) {}

AlertEngine::AlertEngine(Store* store, AlertRules rules, Options options, QObject* parent)
    : QObject(parent)
    , m_store(store)
    , m_rules(std::move(rules))
    , m_options(std::move(options)) {
    qRegisterMetaType<regscope::Alert>();
    if (!m_options.nowMs)
        m_options.nowMs = [] { return QDateTime::currentMSecsSinceEpoch(); };
    connect(store, &Store::metricsSampled, this, &AlertEngine::onSample);
    connect(store, &Store::recordsChanged, this, &AlertEngine::onRecords);
    connect(store, &Store::pluginsChanged, this, &AlertEngine::onPlugins);
    connect(store, &Store::healthChanged, this, &AlertEngine::onHealth);
    connect(store, &Store::leasesUpdated, this, [this] {
        judgeLeases();
        settle();
    });
    connect(store, &Store::cleared, this, &AlertEngine::onCleared);
    // What the store holds already (an engine made after the first flush).
    store->forEach(RecordKind::Instance, [this](const Record& r) {
        const auto& i = std::get<InstanceRecord>(r);
        if (i.staleness == Staleness::Stale)
            m_stale.insert(recordId(i));
    });
    // What already holds is judged on the next turn of the event loop, so whoever connects to
    // raised() right after construction hears of it too.
    QTimer::singleShot(0, this, [this] {
        onPlugins(QList<PluginEvent>(m_store->plugins().begin(), m_store->plugins().end()));
        onHealth(m_store->health());
        judgeStale();
        settle();
    });
    m_tick.setInterval(std::max(m_options.tickMs, 10));
    connect(&m_tick, &QTimer::timeout, this, &AlertEngine::evaluate);
    m_tick.start();
}

AlertEngine::~AlertEngine() = default;

QString AlertEngine::sourceName() const {
    const QString name = m_sourceName ? m_sourceName() : QString();
    return name.isEmpty() ? u"source"_s : name;
}

void AlertEngine::setRules(const AlertRules& rules) {
    m_rules = rules;
    judgeStale(); // the others are judged at their next sample or tick
    evaluate();
}

QList<Alert> AlertEngine::active() const {
    QList<Alert> out;
    for (const auto& [key, slot] : m_slots)
        if (slot.alert)
            out.append(*slot.alert);
    std::stable_sort(out.begin(), out.end(),
                     [](const Alert& a, const Alert& b) { return a.raisedAtMs < b.raisedAtMs; });
    return out;
}

void AlertEngine::evaluate() {
    judgeLeases();
    judgeDown();
    settle();
}

void AlertEngine::setCondition(AlertRuleId rule, const QString& key, bool holds,
                               const QString& subject, const QString& message) {
    const Key k{int(rule), key};
    auto it = m_slots.find(k);
    if (it == m_slots.end()) {
        if (!holds)
            return; // nothing raised, nothing to remember
        it = m_slots.emplace(k, Slot{}).first;
    }
    Slot& slot = it->second;
    // The condition held until now, when we learned it ended: the hold counts from here.
    if (holds || slot.condition)
        slot.lastTrueMs = now();
    slot.condition = holds;
    if (holds) {
        slot.subject = subject;
        slot.message = message;
        if (slot.alert) // the active list shows the latest figure
            slot.alert->message = message;
    }
}

// Raises what holds, clears what has been gone for the hold (at once when the rule is switched
// off) and forgets slots that are neither.
void AlertEngine::settle() {
    Q_ASSERT(QThread::currentThread() == thread());
    const qint64 t = now();
    const int before = m_activeCount;
    for (auto it = m_slots.begin(); it != m_slots.end();) {
        Slot& slot = it->second;
        const auto rule = AlertRuleId(it->first.first);
        const bool enabled = m_rules[rule].enabled;
        if (enabled && slot.condition && !slot.alert)
            raise(slot, rule);
        else if (slot.alert &&
                 (!enabled || (!slot.condition && t - slot.lastTrueMs >= m_rules.clearHoldMs)))
            clear(slot);
        if (!slot.alert && (!slot.condition || !enabled))
            it = m_slots.erase(it);
        else
            ++it;
    }
    if (m_activeCount != before)
        Q_EMIT activeChanged(m_activeCount);
}

void AlertEngine::raise(Slot& slot, AlertRuleId rule) {
    slot.alert = Alert{rule, slot.subject, slot.message, now(), 0};
    ++m_activeCount;
    putOnTimeline(*slot.alert);
    Q_EMIT raised(*slot.alert);
}

void AlertEngine::clear(Slot& slot) {
    Alert done = *slot.alert;
    done.clearedAtMs = std::max(now(), done.raisedAtMs);
    slot.alert.reset();
    slot.condition = false;
    --m_activeCount;
    putOnTimeline(done);
    Q_EMIT cleared(done);
}

void AlertEngine::putOnTimeline(const Alert& a) {
    auto batch = std::make_shared<EventBatch>();
    batch->emplace_back(TimelineEvent{a.active() ? a.raisedAtMs : a.clearedAtMs, u"alert"_s,
                                      a.subject,
                                      (a.active() ? u"raised: "_s : u"cleared: "_s) %
                                          ruleTitle(a.rule).toLower() % u" — "_s % a.message});
    m_store->apply(std::move(batch));
}

void AlertEngine::onSample(const MetricsSample& sample) {
    for (const MetricPoint& p : sample.points) {
        if (p.name == u"discovery_self_protection") {
            const auto renews = metric::value(sample, u"discovery_renews_last_window");
            const auto threshold = metric::value(sample, u"discovery_renew_threshold");
            setCondition(AlertRuleId::SelfProtection, {}, p.value != 0, sourceName(),
                         u"renews in the last window %1, below the threshold of %2: evictions "
                         u"are held"_s.arg(renews)
                             .arg(threshold));
            break;
        }
    }
    if (metric::has(sample, metric::kLookupTotal)) {
        const double misses =
            metric::value(sample, metric::kLookupTotal, metric::kOutcome, u"miss");
        if (m_previous && sample.timestampMs > m_previous->timestampMs) {
            const double seconds = double(sample.timestampMs - m_previous->timestampMs) / 1000.0;
            const double rate = counterDelta(m_previous->misses, misses) / seconds;
            const double limit = m_rules[AlertRuleId::MissRate].threshold;
            const bool on = m_slots.contains({int(AlertRuleId::MissRate), {}}) &&
                            m_slots.at({int(AlertRuleId::MissRate), {}}).alert.has_value();
            setCondition(AlertRuleId::MissRate, {},
                         rate > (on ? limit * kMissClearFraction : limit), sourceName(),
                         u"%1 lookup misses/s (threshold %2/s)"_s.arg(rate, 0, 'f', 1).arg(limit));
        }
        if (!m_previous || sample.timestampMs > m_previous->timestampMs)
            m_previous = MissReading{sample.timestampMs, misses};
    }
    settle();
}

void AlertEngine::onRecords(RecordKind kind, const QStringList& upserted,
                            const QStringList& removed) {
    if (kind != RecordKind::Instance)
        return;
    const qsizetype before = m_stale.size();
    bool changed = false;
    for (const QString& id : removed)
        changed = m_stale.remove(id) || changed;
    const std::vector<const Record*>& records = m_store->changedRecords(kind);
    for (qsizetype i = 0; i < upserted.size(); ++i) {
        const Record* r =
            size_t(i) < records.size() ? records[size_t(i)] : m_store->find(kind, upserted[i]);
        if (r && std::get<InstanceRecord>(*r).staleness == Staleness::Stale) {
            changed = changed || !m_stale.contains(upserted[i]);
            m_stale.insert(upserted[i]);
        } else {
            changed = m_stale.remove(upserted[i]) || changed;
        }
    }
    if (!changed && m_stale.size() == before)
        return;
    judgeStale();
    settle();
}

void AlertEngine::judgeStale() {
    const auto limit = qsizetype(m_rules[AlertRuleId::StaleInstances].threshold);
    if (m_stale.size() <= limit) {
        setCondition(AlertRuleId::StaleInstances, {}, false, {}, {});
        return;
    }
    // The first few by name, in one pass (there may be a hundred thousand).
    QStringList names;
    for (const QString& id : m_stale) {
        const auto at = std::lower_bound(names.begin(), names.end(), id);
        if (names.size() < kNamesInMessage || at != names.end()) {
            names.insert(at, id);
            if (names.size() > kNamesInMessage)
                names.removeLast();
        }
    }
    const qsizetype more = m_stale.size() - names.size();
    setCondition(AlertRuleId::StaleInstances, {}, true, sourceName(),
                 u"%1 stale instances (more than %2): %3%4"_s.arg(m_stale.size())
                     .arg(limit)
                     .arg(names.join(u", "_s), more > 0 ? u" and %1 more"_s.arg(more) : QString()));
}

void AlertEngine::onPlugins(const QList<PluginEvent>& events) {
    for (const PluginEvent& e : events) {
        const bool crashed = !e.removed && (e.state == PluginState::Crashed ||
                                            e.state == PluginState::TimedOut || e.crashLoop);
        QString why = e.verdict ? e.verdict->headline() : toString(e.state);
        if (e.crashLoop)
            why = u"crash loop, retries stopped: "_s % why;
        setCondition(AlertRuleId::PluginCrash, e.path, crashed, e.path, why);
    }
    settle();
}

void AlertEngine::onHealth(const SourceHealth& health) {
    if (health.state == HealthState::Down) {
        if (m_downSinceMs == 0)
            m_downSinceMs = now();
        m_downReason = health.reason;
    } else if (health.state == HealthState::Live || health.state == HealthState::Degraded) {
        m_downSinceMs = 0; // a reconnect attempt (Connecting) keeps the source down
    }
    judgeDown();
    settle();
}

void AlertEngine::judgeDown() {
    const qint64 holdMs = qint64(m_rules[AlertRuleId::SourceDown].threshold * 1000);
    const qint64 downMs = m_downSinceMs ? now() - m_downSinceMs : 0;
    setCondition(AlertRuleId::SourceDown, {}, m_downSinceMs != 0 && downMs >= holdMs, sourceName(),
                 u"down for %1 s: %2"_s.arg(downMs / 1000).arg(m_downReason));
}

void AlertEngine::judgeLeases() {
    const qint64 t = now();
    const qint64 withinMs = qint64(m_rules[AlertRuleId::LeaseExpiring].threshold * 1000);
    qsizetype count = 0;
    const LeaseInfo* soonest = nullptr;
    qint64 soonestLeft = 0;
    for (const LeaseInfo& l : m_store->leases()) {
        if (l.ttl < 0)
            continue;
        const qint64 left = l.ttl * 1000 - (t - l.fetchedAtMs);
        if (left > withinMs)
            continue;
        ++count;
        if (!soonest || left < soonestLeft) {
            soonest = &l;
            soonestLeft = left;
        }
    }
    if (!soonest) {
        setCondition(AlertRuleId::LeaseExpiring, {}, false, {}, {});
        return;
    }
    setCondition(AlertRuleId::LeaseExpiring, {}, true, sourceName(),
                 u"%1 expires in %2 s (granted %3 s)%4"_s.arg(hexLease(soonest->id))
                     .arg(std::max<qint64>(soonestLeft, 0) / 1000)
                     .arg(soonest->grantedTtl)
                     .arg(count > 1
                              ? u"; %1 leases expire within %2 s"_s.arg(count).arg(withinMs / 1000)
                              : QString()));
}

// Another source: what the last one said no longer holds, so its alerts clear now.
void AlertEngine::onCleared() {
    m_stale.clear();
    m_previous.reset();
    m_downSinceMs = 0;
    const int before = m_activeCount;
    for (auto& [key, slot] : m_slots) {
        if (AlertRuleId(key.first) != AlertRuleId::PluginCrash && slot.alert)
            clear(slot);
    }
    std::erase_if(m_slots, [](const auto& kv) { return !kv.second.alert; });
    if (m_activeCount != before)
        Q_EMIT activeChanged(m_activeCount);
    onHealth(m_store->health());
}

} // namespace regscope
