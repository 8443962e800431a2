#pragma once
// A snapshot: everything one source showed at one moment (its records of every kind, its
// metric history, its timeline, its health), in the versioned schema of
// docs/snapshot-schema.md. `regscope --dump json` prints it, File ▸ Save snapshot… writes it,
// file:///path opens it as a read-only source and `regscope --diff` compares two of them.

#include "models/MetricHistory.h"
#include "models/SourceEvent.h"

#include <QJsonArray>
#include <QJsonObject>

#include <array>
#include <expected>
#include <vector>

namespace regscope {

class Store;

inline constexpr auto kSnapshotSchema = "regscope-snapshot";
inline constexpr int kSnapshotSchemaVersion = 1; // the newest this build writes and reads

struct SourceSnapshot {
    QString source;       // the URL it was taken from
    qint64 takenAtMs = 0; // wall clock, ms since the epoch (UTC)
    SourceHealth health;
    std::array<std::vector<Record>, 3> records; // by RecordKind, sorted by recordId
    std::vector<MetricsSample> metrics;         // the metric history, oldest first
    std::vector<TimelineEvent> timeline;        // oldest first
    QJsonArray plugins; // written for readers; not read back (no source emits plugins)

    std::vector<Record>& of(RecordKind kind) { return records[size_t(kind)]; }
    const std::vector<Record>& of(RecordKind kind) const { return records[size_t(kind)]; }
};

// What a snapshot needs from the store, copied cheaply on the GUI thread (records share
// their strings; the metric history is copied in its compact form). finish() does the rest
// (rebuilding the samples, sorting) and may run on any thread.
struct SnapshotCapture {
    SourceSnapshot snapshot;
    MetricHistory history;
};
SnapshotCapture captureSnapshot(const Store& store, const QString& sourceUrl);
// Only the records, unsorted (what a comparison with the live store needs).
std::array<std::vector<Record>, 3> copyRecords(const Store& store);
SourceSnapshot finish(SnapshotCapture capture);
inline SourceSnapshot takeSnapshot(const Store& store, const QString& sourceUrl) {
    return finish(captureSnapshot(store, sourceUrl));
}

// The document: one source's object (the reader also takes {"sources": [...]}).
QJsonObject toJson(const SourceSnapshot& snapshot);
QString isoUtc(qint64 ms); // "2026-12-01T20:00:00.123Z"

// Reads a snapshot document (one source, or every source of a {"sources": [...]} document).
// Errors are sentences: not JSON (with the offset), not a regscope snapshot, a schema_version
// newer than this build reads, a malformed field (named with its path). Never throws.
std::expected<std::vector<SourceSnapshot>, QString> readSnapshot(const QByteArray& json);
// The same from a file; the error names the file (missing, unreadable, or as above).
std::expected<std::vector<SourceSnapshot>, QString> readSnapshotFile(const QString& path);

} // namespace regscope
