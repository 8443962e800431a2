#include "models/FollowStream.h"

#include "models/ByteText.h"
#include "models/RecordJson.h"
#include "models/Store.h"

#include <QDateTime>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

qint64 nowMs() {
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

FollowStream::FollowStream(Store* store, QString source, Sink sink, QObject* parent)
    : QObject(parent)
    , m_store(store)
    , m_source(std::move(source))
    , m_sink(std::move(sink)) {
    connect(store, &Store::recordsChanged, this, &FollowStream::onRecordsChanged);
    connect(store, &Store::snapshotApplied, this, &FollowStream::onSnapshotApplied);
    connect(store, &Store::healthChanged, this, &FollowStream::onHealthChanged);
    connect(store, &Store::timelineAppended, this, &FollowStream::onTimeline);
    connect(store, &Store::flushed, this, &FollowStream::onFlushed);
    connect(store, &Store::cleared, this, &FollowStream::onFlushed); // clear() has no flushed()
}

QString FollowStream::kindName(RecordKind kind) {
    switch (kind) {
    case RecordKind::Entry:
        return u"entry"_s;
    case RecordKind::Instance:
        return u"instance"_s;
    case RecordKind::Key:
        return u"key"_s;
    }
    return {};
}

QString FollowStream::lineKey(const Record& record) {
    if (const auto* i = std::get_if<InstanceRecord>(&record))
        return i->appid % u'/' % i->hostname;
    return recordId(record);
}

QString FollowStream::lineKey(RecordKind kind, const QString& id) {
    if (kind != RecordKind::Instance)
        return id;
    // appid/zone/env/hostname: the appid has no '/', the hostname may.
    const QStringList parts = id.split(u'/');
    if (parts.size() < 4)
        return id;
    return parts.at(0) % u'/' % parts.mid(3).join(u'/');
}

QJsonObject FollowStream::line(const QString& op) const {
    return QJsonObject{{u"op"_s, op}, {u"source"_s, m_source}, {u"time_ms"_s, nowMs()}};
}

QJsonObject FollowStream::changeLine(const QString& op, RecordKind kind, const QString& id) const {
    QJsonObject o = line(op);
    o.insert(u"kind"_s, kindName(kind));
    o.insert(u"key"_s, lineKey(kind, id));
    o.insert(u"id"_s, id);
    o.insert(u"revision"_s, m_store->revision(kind));
    if (kind == RecordKind::Key) {
        // The escaped text is lossless; when the key is not UTF-8, its exact bytes beside it.
        if (const auto bytes = unescapeBytes(id); bytes && !isValidUtf8(*bytes))
            o.insert(u"key_b64"_s, QString::fromLatin1(bytes->toBase64()));
    }
    return o;
}

void FollowStream::append(QByteArray& out, const QJsonObject& o) {
    out += QJsonDocument(o).toJson(QJsonDocument::Compact);
    out += '\n';
    ++m_lines;
}

void FollowStream::onRecordsChanged(RecordKind kind, const QStringList& upserted,
                                    const QStringList& removed) {
    m_inFlush = true;
    const std::vector<const Record*>& records = m_store->changedRecords(kind);
    m_changes.reserve(m_changes.size() + size_t(upserted.size() + removed.size()));
    for (const QString& id : removed)
        m_changes.push_back(changeLine(u"remove"_s, kind, id));
    for (qsizetype i = 0; i < upserted.size(); ++i) {
        const Record* r =
            size_t(i) < records.size() ? records[size_t(i)] : m_store->find(kind, upserted.at(i));
        if (!r)
            continue;
        QJsonObject o = changeLine(u"upsert"_s, kind, upserted.at(i));
        o.insert(u"record"_s, toJson(*r));
        m_changes.push_back(std::move(o));
    }
}

void FollowStream::onSnapshotApplied(RecordKind kind) {
    m_inFlush = true;
    // The first snapshot is the first load; any later one re-read the source.
    if (m_synced)
        m_resyncReasons.append(u"the source sent its whole %1 state again"_s.arg(kindName(kind)));
}

void FollowStream::onHealthChanged(const SourceHealth& health) {
    m_inFlush = true;
    m_healthInFlush = true;
    if (health.state == HealthState::Live && !m_synced)
        m_liveInFlush = true;
}

void FollowStream::onTimeline(const QList<TimelineEvent>& events) {
    m_inFlush = true;
    for (const TimelineEvent& e : events)
        if (e.category == u"resync" && m_synced)
            m_resyncReasons.append(e.text);
}

void FollowStream::onFlushed() {
    QByteArray out;
    if (!m_resyncReasons.isEmpty()) {
        // A timeline "resync" says more than "sent its whole state": keep the connector's words.
        if (m_resyncReasons.size() > 1)
            m_resyncReasons.removeIf([](const QString& r) { return r.startsWith(u"the source "); });
        QJsonObject o = line(u"resync"_s);
        o.insert(u"reason"_s, m_resyncReasons.join(u"; "_s));
        o.insert(u"changes"_s, qint64(m_changes.size()));
        append(out, o);
        for (QJsonObject& c : m_changes)
            c.insert(u"resync"_s, true);
    }
    for (const QJsonObject& c : m_changes)
        append(out, c);
    const bool syncNow = m_liveInFlush && !m_synced;
    QJsonObject health; // before synced, health moves are not printed: the snapshot comes first
    if (m_healthInFlush && (m_synced || syncNow)) {
        health = line(u"health"_s);
        const SourceHealth h = m_store->health();
        health.insert(u"state"_s, toString(h.state));
        health.insert(u"reason"_s, h.reason);
        if (!syncNow)
            append(out, health);
    }
    if (syncNow) {
        QJsonObject o = line(u"synced"_s);
        qint64 revision = 0;
        for (const RecordKind k : {RecordKind::Entry, RecordKind::Instance, RecordKind::Key})
            revision = std::max(revision, m_store->revision(k));
        o.insert(u"revision"_s, revision);
        o.insert(u"counts"_s, QJsonObject{{u"entries"_s, m_store->count(RecordKind::Entry)},
                                          {u"instances"_s, m_store->count(RecordKind::Instance)},
                                          {u"keys"_s, m_store->count(RecordKind::Key)}});
        append(out, o);
        append(out, health); // the health that made it synced, after the snapshot
        m_synced = true;
    }
    out += m_alerts;
    m_alerts.clear();
    m_changes.clear();
    m_resyncReasons.clear();
    m_inFlush = m_liveInFlush = m_healthInFlush = false;
    if (!out.isEmpty())
        m_sink(std::move(out));
    if (syncNow)
        Q_EMIT synced();
}

void FollowStream::writeAlert(QJsonObject alert) {
    alert.insert(u"op"_s, u"alert"_s);
    if (!alert.contains(u"source"_s))
        alert.insert(u"source"_s, m_source);
    if (!alert.contains(u"time_ms"_s))
        alert.insert(u"time_ms"_s, nowMs());
    QByteArray bytes;
    append(bytes, alert);
    if (m_inFlush) {
        m_alerts += bytes;
        return;
    }
    m_sink(std::move(bytes));
}

} // namespace regscope
