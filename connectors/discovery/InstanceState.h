#pragma once
// What the connector last told the store about a discovery server's instances, and the
// diff of a new answer against it: upserts for new or changed instances, removals for gone
// ones, timeline lines for registers, cancels and evictions.

#include "models/SourceEvent.h"

#include <QHash>
#include <QSet>
#include <QString>

#include <vector>

namespace regscope::discoveryconn {

class InstanceState {
public:
    // A removed instance whose last renew is older than this is reported as evicted.
    void setEvictThresholdNs(qint64 ns) { m_evictThresholdNs = ns; }

    // Replaces everything; the first call yields a SnapshotEvent, later ones a diff.
    void replaceAll(std::vector<InstanceRecord> records, qint64 nowNs, EventBatch& out);
    // Replaces the instances of one (env, appid).
    void replaceApp(const QString& env, const QString& appid, std::vector<InstanceRecord> records,
                    qint64 nowNs, EventBatch& out);

    // Known (env → appids), for the polls.
    QHash<QString, QSet<QString>> apps() const;
    qsizetype size() const { return m_records.size(); }
    bool hasSnapshot() const { return m_hasSnapshot; }
    void reset();

private:
    static QString appKey(const QString& env, const QString& appid);
    void upsert(InstanceRecord r, qint64 nowNs, EventBatch& out);
    void remove(const QString& id, qint64 nowNs, EventBatch& out);

    QHash<QString, InstanceRecord> m_records;  // recordId → record
    QHash<QString, QSet<QString>> m_byApp;     // env\nappid → recordIds
    QHash<QString, QSet<QString>> m_appsByEnv; // env → appids with instances at the last refresh
    qint64 m_evictThresholdNs = 90'000'000'000;
    bool m_hasSnapshot = false;
};

} // namespace regscope::discoveryconn
