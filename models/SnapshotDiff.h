#pragma once
// What differs between two snapshots (or a snapshot and a live store), by kind and record
// identity (recordId): records added, removed, or changed with the fields that differ, old
// and new. Fields are compared as they are written in a snapshot (RecordJson), so the names
// in a diff are the names in the file. `regscope --diff` prints it; the Compare dialog shows it.

#include "models/Snapshot.h"

#include <QJsonValue>
#include <QStringList>

namespace regscope {

struct FieldChange {
    QString field;
    QJsonValue before, after; // undefined: the field is absent on that side
};

struct RecordChange {
    enum class Type : quint8 { Added, Removed, Changed };
    RecordKind kind = RecordKind::Entry;
    Type type = Type::Changed;
    QString id;
    std::vector<FieldChange> fields; // Changed only, sorted by field name
};

struct SnapshotDiff {
    std::vector<RecordChange> changes; // by kind, then id
    int added = 0, removed = 0, changed = 0;
    bool equal() const { return changes.empty(); }
};

struct DiffOptions {
    // Skip the fields that change while nothing happens (volatileFields): a snapshot compared
    // with the live source then shows what was registered, removed or edited.
    bool ignoreVolatile = true;
};

// The fields that move while the instance itself does not change: renew_timestamp (every
// renew), renew_age_ms and observed_at_ms (our clock), latest_timestamp (the app's, bumped by
// any sibling's change: the sibling shows as added or removed). Keys and entries have none.
QStringList volatileFields(RecordKind kind);

SnapshotDiff diffRecords(const std::array<std::vector<Record>, 3>& a,
                         const std::array<std::vector<Record>, 3>& b, DiffOptions options = {});
inline SnapshotDiff diffSnapshots(const SourceSnapshot& a, const SourceSnapshot& b,
                                  DiffOptions options = {}) {
    return diffRecords(a.records, b.records, options);
}

QString kindName(RecordKind kind);           // "entries", "instances", "keys"
QString changeName(RecordChange::Type type); // "added", "removed", "changed"
// A value as one line: strings quoted, absent as "(none)", long values shortened.
QString shortValue(const QJsonValue& value, qsizetype max = 120);

// Readable: grouped by kind, "+ id", "- id", "~ id: field old → new", then a summary line.
QString diffText(const SnapshotDiff& diff, const QString& nameA, const QString& nameB);
// The same data: {"a":..., "b":..., "equal":..., "added":..., "removed":..., "changed":...,
// "changes":[{"kind", "change", "id", "fields":[{"field", "old", "new"}]}]}.
QJsonObject diffJson(const SnapshotDiff& diff, const QString& nameA, const QString& nameB);

} // namespace regscope
