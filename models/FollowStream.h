#pragma once
// `regscope --follow jsonl`: the Store's changes as JSON lines, kubectl `get -w -o json` style.
// It follows the Store, not a connector: the Store already turns every snapshot, resync and
// reconnect into the targeted upserts and removes it implies, so applying the lines in order
// gives exactly the Store's (the source's) state, whatever the source.
//
// The lines of one Store flush go to the sink together, in this order:
//   {"op":"resync", ...}            when the flush re-read the source (a compaction, a reconnect
//                                   that reloaded everything, a fresh snapshot after synced)
//   {"op":"upsert"|"remove", ...}   the flush's changes ("resync":true when marked)
//   {"op":"health", ...}            when the source's health moved (only after synced)
//   {"op":"synced", ...}            once, after the first flush in which the source is live
//   {"op":"alert", ...}             writeAlert() called during the flush
// Before synced, the changes are the first load: upserts (a remove only when the source's
// first load was interrupted and resumed). Every line has "op", "source" and "time_ms"; a
// change line also has "kind" (entry|instance|key), "key", "id", "revision" and, for an
// upsert, "record" (models/RecordJson.h).

#include "models/SourceEvent.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QObject>

#include <functional>
#include <vector>

namespace regscope {

class Store;

class FollowStream : public QObject {
    Q_OBJECT
public:
    // Receives whole lines (each ends in '\n'), one call per flush (or per alert between
    // flushes). It may block for backpressure; it must not re-enter the Store.
    using Sink = std::function<void(QByteArray lines)>;

    FollowStream(Store* store, QString source, Sink sink, QObject* parent = nullptr);

    bool isSynced() const { return m_synced; }
    quint64 linesWritten() const { return m_lines; }

    // The hook for the alert engine (issue 14 §3): writes {"op":"alert", ...alert} with
    // "source" and "time_ms" added when missing. Called while the Store flushes, the line
    // follows that flush's changes; otherwise it goes out at once.
    void writeAlert(QJsonObject alert);

    // What a line names a record by: etcd key (lossless escaped text, see models/ByteText.h),
    // appid/hostname for an instance, [registry#]tenant/name@version for an entry.
    static QString lineKey(const Record& record);
    static QString lineKey(RecordKind kind, const QString& id);
    static QString kindName(RecordKind kind);

Q_SIGNALS:
    // The snapshot is out and {"op":"synced"} written.
    void synced();

private:
    void onRecordsChanged(RecordKind kind, const QStringList& upserted, const QStringList& removed);
    void onSnapshotApplied(RecordKind kind);
    void onHealthChanged(const SourceHealth& health);
    void onTimeline(const QList<TimelineEvent>& events);
    void onFlushed();
    QJsonObject line(const QString& op) const;
    QJsonObject changeLine(const QString& op, RecordKind kind, const QString& id) const;
    void append(QByteArray& out, const QJsonObject& o);

    Store* m_store;
    QString m_source;
    Sink m_sink;
    bool m_synced = false;
    bool m_inFlush = false;     // a Store signal of a flush came, flushed() not yet
    bool m_liveInFlush = false; // the flush made the source live
    bool m_healthInFlush = false;
    QStringList m_resyncReasons; // of this flush
    std::vector<QJsonObject> m_changes;
    QByteArray m_alerts; // alert lines written during this flush
    quint64 m_lines = 0;
};

} // namespace regscope
