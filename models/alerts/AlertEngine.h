#pragma once
// Raises and clears alerts from what the Store knows (README "Alerts"): the lookup miss rate
// (from consecutive metrics samples), discovery self-protection (its gauge), stale instances
// (the connector's verdict on each record), leases close to expiry (their TTL as fetched
// against the clock), crashed plugins and a source that stays down.
//
// Each rule is judged per subject (one alert per plugin path; one per source for the rest).
// An alert is raised as soon as its condition holds and cleared once the condition has been
// gone for AlertRules::clearHoldMs without a break, so a rate that dips under its threshold for
// one sample does not flap; the miss rate also clears only under 80 % of its threshold.
//
// Wiring (the integrator's side):
//   auto* engine = new AlertEngine(&store, AlertRules::load(settings));
//   engine->setSourceName([&session] { return session.url(); });
//   connect(engine, &AlertEngine::raised, ..., [](const Alert& a) { print(toJson(a)); });
//   connect(engine, &AlertEngine::cleared, ..., [](const Alert& a) { print(toJson(a)); });
// Every raise and clear is also put on the Store's timeline (category "alert"). What holds when
// the engine is made is raised on the next turn of the event loop. GUI thread only.

#include "models/alerts/Alert.h"

#include <QList>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>
#include <map>
#include <optional>

namespace regscope {

class Store;
struct MetricsSample;
struct PluginEvent;
struct SourceHealth;
enum class RecordKind : quint8;

class AlertEngine : public QObject {
    Q_OBJECT
public:
    struct Options {
        // Wall clock, ms since epoch (leases are stamped with it). Tests pass a fake.
        std::function<qint64()> nowMs;
        int tickMs = 1000; // the time-based rules (lease, source down) and clear holds
    };

    AlertEngine(Store* store, AlertRules rules, QObject* parent = nullptr);
    AlertEngine(Store* store, AlertRules rules, Options options, QObject* parent = nullptr);
    ~AlertEngine() override;

    const AlertRules& rules() const { return m_rules; }
    // New thresholds apply at once; a rule switched off clears its alerts now.
    void setRules(const AlertRules& rules);
    // What source-wide alerts name as their subject (the attached URL), asked at each raise.
    void setSourceName(std::function<QString()> name) { m_sourceName = std::move(name); }

    // Active alerts, oldest raise first.
    QList<Alert> active() const;
    int activeCount() const { return m_activeCount; }

public Q_SLOTS:
    // Judges the time-based rules and the clear holds now (the timer does it every tickMs).
    void evaluate();

Q_SIGNALS:
    void raised(const regscope::Alert& alert);
    void cleared(const regscope::Alert& alert); // clearedAtMs set
    void activeChanged(int count);

private:
    struct Slot {
        bool condition = false;
        qint64 lastTrueMs = 0;
        QString subject;
        QString message;
        std::optional<Alert> alert; // set while raised
    };
    using Key = std::pair<int, QString>; // rule, per-rule subject key ("" source-wide)

    qint64 now() const { return m_options.nowMs(); }
    void setCondition(AlertRuleId rule, const QString& key, bool holds, const QString& subject,
                      const QString& message);
    void settle();
    void raise(Slot& slot, AlertRuleId rule);
    void clear(Slot& slot);
    void putOnTimeline(const Alert& alert);

    void onSample(const MetricsSample& sample);
    void onRecords(RecordKind kind, const QStringList& upserted, const QStringList& removed);
    void onPlugins(const QList<PluginEvent>& events);
    void onHealth(const SourceHealth& health);
    void onCleared();
    void judgeLeases();
    void judgeDown();
    void judgeStale();

    Store* m_store;
    AlertRules m_rules;
    Options m_options;
    QTimer m_tick;
    std::map<Key, Slot> m_slots;
    int m_activeCount = 0;
    std::function<QString()> m_sourceName;
    QString sourceName() const;
    struct MissReading {
        qint64 timestampMs = 0;
        double misses = 0; // the cumulative miss counter
    };
    std::optional<MissReading> m_previous; // from the last sample with lookup counters
    QSet<QString> m_stale;                 // ids of instances judged stale
    qint64 m_downSinceMs = 0;              // 0: not down
    QString m_downReason;
};

} // namespace regscope
