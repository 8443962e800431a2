#pragma once
// What the connector last told the store about a discovery server's instances, and the
// diff of a new answer against it: upserts for new or changed instances, removals for gone
// ones, timeline lines for registers, cancels, evictions and server restarts.
//
// Every answer is judged as it arrives: an instance is stale when the server's own clock at
// the answer is more than two renew intervals past its last renew. The verdict and the age
// travel in the record, so the store (and `--dump json`) hold what the server said.

#include "models/SourceEvent.h"

#include <QHash>
#include <QSet>
#include <QString>

#include <optional>
#include <vector>

namespace regscope::discoveryconn {

// When an answer was received, on our clock and on the server's, and the renew interval
// its instances are judged against.
struct Observation {
    qint64 localNowMs = 0;
    qint64 serverNowMs = 0;
    qint64 renewIntervalMs = 30'000;
};

// What the server's counters say about the instances gone since the last answer.
struct Removals {
    // The server restarted: whatever it no longer lists was forgotten, not evicted.
    bool serverRestarted = false;
    // Evictions the server counted (discovery_evictions_total) that no removal has been
    // attributed to yet; nullopt when the server has no counters (judge by renew age).
    std::optional<qint64> evictionsCounted;
};

class InstanceState {
public:
    // A removed instance is an eviction candidate once its renew is older than this.
    void setEvictThresholdNs(qint64 ns) { m_evictThresholdNs = ns; }

    // Replaces everything; the first call yields a SnapshotEvent, later ones a diff.
    // Returns the number of removals reported as evictions.
    qint64 replaceAll(std::vector<InstanceRecord> records, const Observation& obs,
                      const Removals& removals, EventBatch& out);
    // Replaces the instances of one (env, appid).
    qint64 replaceApp(const QString& env, const QString& appid, std::vector<InstanceRecord> records,
                      const Observation& obs, const Removals& removals, EventBatch& out);

    // Instances we know that the answer no longer lists (before applying it).
    qsizetype goneFromAll(const std::vector<InstanceRecord>& records) const;
    qsizetype goneFromApp(const QString& env, const QString& appid,
                          const std::vector<InstanceRecord>& records) const;

    // Known (env → appids), for the polls.
    QHash<QString, QSet<QString>> apps() const;
    qsizetype size() const { return m_records.size(); }
    bool hasSnapshot() const { return m_hasSnapshot; }
    void reset();

    // Sets r's renew age, observation time and stale verdict from obs.
    static void judge(InstanceRecord& r, const Observation& obs);
    // Equal but for the observation (age, time): a re-emit would say nothing new.
    static bool sameButObservation(const InstanceRecord& a, const InstanceRecord& b);

private:
    static QString appKey(const QString& env, const QString& appid);
    void upsert(InstanceRecord r, qint64 nowMs, EventBatch& out);
    qint64 removeAll(const QStringList& ids, const Observation& obs, const Removals& removals,
                     EventBatch& out);
    void forget(const QString& id);

    QHash<QString, InstanceRecord> m_records;  // recordId → record
    QHash<QString, QSet<QString>> m_byApp;     // env\nappid → recordIds
    QHash<QString, QSet<QString>> m_appsByEnv; // env → appids with instances at the last refresh
    qint64 m_evictThresholdNs = 90'000'000'000;
    bool m_hasSnapshot = false;
};

} // namespace regscope::discoveryconn
