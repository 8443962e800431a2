// The snapshot document written and read (docs/snapshot-schema.md); no Store here, so the
// reader builds alone (tests/fuzz/fuzz_snapshot).
#include "models/RecordJson.h"
#include "models/Snapshot.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>

#include <cmath>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

constexpr std::array<std::pair<RecordKind, const char*>, 3> kKindFields{
    {{RecordKind::Entry, "entries"},
     {RecordKind::Instance, "instances"},
     {RecordKind::Key, "keys"}}};

template <typename T>
QJsonArray arrayOf(const std::vector<T>& items) {
    QJsonArray out;
    for (const T& item : items)
        out.append(toJson(item));
    return out;
}

// Reads one array of objects with `read`, naming the element that is wrong.
template <typename T, typename Read>
std::expected<std::vector<T>, QString> readArray(const QJsonObject& o, const char* key, Read read) {
    const QJsonValue v = o.value(QLatin1StringView(key));
    std::vector<T> out;
    if (v.isUndefined() || v.isNull())
        return out;
    if (!v.isArray())
        return std::unexpected(u"\"%1\": expected an array"_s.arg(QLatin1StringView(key)));
    const QJsonArray array = v.toArray();
    out.reserve(size_t(array.size()));
    for (qsizetype i = 0; i < array.size(); ++i) {
        if (!array[i].isObject())
            return std::unexpected(
                u"%1[%2]: expected an object"_s.arg(QLatin1StringView(key)).arg(i));
        auto item = read(array[i].toObject());
        if (!item)
            return std::unexpected(
                u"%1[%2].%3"_s.arg(QLatin1StringView(key)).arg(i).arg(item.error()));
        out.push_back(std::move(*item));
    }
    return out;
}

std::expected<SourceSnapshot, QString> readSource(const QJsonObject& o) {
    SourceSnapshot s;
    s.source = o.value(u"source"_s).toString();
    const QJsonValue taken = o.value(u"taken_at"_s);
    if (taken.isString()) {
        const QDateTime at = QDateTime::fromString(taken.toString(), Qt::ISODateWithMs);
        if (!at.isValid())
            return std::unexpected(
                u"taken_at: expected an ISO-8601 time, not '%1'"_s.arg(taken.toString()));
        s.takenAtMs = at.toMSecsSinceEpoch();
    }
    if (const QJsonValue h = o.value(u"health"_s); h.isObject()) {
        auto health = healthFromJson(h.toObject());
        if (!health)
            return std::unexpected(u"health."_s + health.error());
        s.health = *health;
    }
    for (const auto& [kind, key] : kKindFields) {
        auto records = readArray<Record>(
            o, key, [kind](const QJsonObject& r) { return recordFromJson(kind, r); });
        if (!records)
            return std::unexpected(records.error());
        s.of(kind) = std::move(*records);
    }
    auto metrics = readArray<MetricsSample>(o, "metric_history", metricsSampleFromJson);
    if (!metrics)
        return std::unexpected(metrics.error());
    s.metrics = std::move(*metrics);
    // A document without the history (an older --dump): its latest sample is the history.
    if (s.metrics.empty() && o.value(u"metrics"_s).isObject()) {
        auto latest = metricsSampleFromJson(o.value(u"metrics"_s).toObject());
        if (!latest)
            return std::unexpected(u"metrics."_s + latest.error());
        s.metrics.push_back(std::move(*latest));
    }
    auto timeline = readArray<TimelineEvent>(o, "timeline", timelineEventFromJson);
    if (!timeline)
        return std::unexpected(timeline.error());
    s.timeline = std::move(*timeline);
    s.plugins = o.value(u"plugins"_s).toArray();
    return s;
}

std::expected<void, QString> checkSchema(const QJsonObject& o) {
    const QJsonValue schema = o.value(u"schema"_s);
    if (schema.toString() != QLatin1StringView(kSnapshotSchema))
        return std::unexpected(
            schema.isUndefined()
                ? u"not a regscope snapshot: no \"schema\": \"%1\""_s.arg(
                      QLatin1StringView(kSnapshotSchema))
                : u"not a regscope snapshot: its schema is '%1', expected '%2'"_s.arg(
                      schema.toVariant().toString(), QLatin1StringView(kSnapshotSchema)));
    const QJsonValue version = o.value(u"schema_version"_s);
    if (!version.isDouble() || version.toDouble() < 1 ||
        version.toDouble() != std::floor(version.toDouble()))
        return std::unexpected(u"schema_version: expected a positive integer"_s);
    if (version.toDouble() > kSnapshotSchemaVersion)
        return std::unexpected(
            u"the snapshot has schema_version %1, newer than this regscope reads (up to %2): "
            u"open it with a newer regscope"_s.arg(version.toInteger())
                .arg(kSnapshotSchemaVersion));
    return {};
}

} // namespace

QString isoUtc(qint64 ms) {
    return QDateTime::fromMSecsSinceEpoch(ms).toUTC().toString(Qt::ISODateWithMs);
}

QJsonObject toJson(const SourceSnapshot& s) {
    const QJsonObject counts{{u"entries"_s, qint64(s.of(RecordKind::Entry).size())},
                             {u"instances"_s, qint64(s.of(RecordKind::Instance).size())},
                             {u"keys"_s, qint64(s.of(RecordKind::Key).size())}};
    QJsonObject o{
        {u"schema"_s, QLatin1StringView(kSnapshotSchema)},
        {u"schema_version"_s, kSnapshotSchemaVersion},
        {u"taken_at"_s, isoUtc(s.takenAtMs)},
        {u"source"_s, s.source},
        {u"health"_s, toJson(s.health)},
        {u"counts"_s, counts},
        // The latest sample, as --dump always printed it; the history follows.
        {u"metrics"_s, s.metrics.empty() ? QJsonValue() : QJsonValue(toJson(s.metrics.back()))},
        {u"metric_history"_s, arrayOf(s.metrics)},
        {u"timeline"_s, arrayOf(s.timeline)},
        {u"plugins"_s, s.plugins}};
    for (const auto& [kind, key] : kKindFields) {
        QJsonArray records;
        for (const Record& r : s.of(kind))
            records.append(toJson(r));
        o.insert(QLatin1StringView(key), records);
    }
    return o;
}

std::expected<std::vector<SourceSnapshot>, QString> readSnapshot(const QByteArray& json) {
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (doc.isNull())
        return std::unexpected(
            u"not JSON: %1 at offset %2"_s.arg(error.errorString()).arg(error.offset));
    if (!doc.isObject())
        return std::unexpected(u"not a regscope snapshot: expected a JSON object"_s);
    const QJsonObject top = doc.object();
    if (auto ok = checkSchema(top); !ok)
        return std::unexpected(ok.error());
    std::vector<SourceSnapshot> out;
    if (!top.contains(u"sources"_s)) {
        auto one = readSource(top);
        if (!one)
            return std::unexpected(one.error());
        out.push_back(std::move(*one));
        return out;
    }
    const QJsonValue sources = top.value(u"sources"_s);
    if (!sources.isArray() || sources.toArray().isEmpty())
        return std::unexpected(u"\"sources\": expected a non-empty array of sources"_s);
    const QJsonArray array = sources.toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        auto one =
            array[i].isObject()
                ? readSource(array[i].toObject())
                : std::expected<SourceSnapshot, QString>(std::unexpected(u"expected an object"_s));
        if (!one)
            return std::unexpected(u"sources[%1]: %2"_s.arg(i).arg(one.error()));
        if (one->takenAtMs == 0) // a source without its own time was taken with the document
            if (auto at = readSource(QJsonObject{{u"taken_at"_s, top.value(u"taken_at"_s)}}))
                one->takenAtMs = at->takenAtMs;
        out.push_back(std::move(*one));
    }
    return out;
}

std::expected<std::vector<SourceSnapshot>, QString> readSnapshotFile(const QString& path) {
    QFile file(path);
    if (!file.exists())
        return std::unexpected(u"%1: no such snapshot file"_s.arg(path));
    if (!file.open(QIODevice::ReadOnly))
        return std::unexpected(u"%1: cannot read: %2"_s.arg(path, file.errorString()));
    auto read = readSnapshot(file.readAll());
    if (!read)
        return std::unexpected(u"%1: %2"_s.arg(path, read.error()));
    return read;
}

} // namespace regscope
