#include "models/SnapshotDiff.h"

#include "models/RecordJson.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cmath>
#include <optional>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

constexpr std::array kKinds{RecordKind::Entry, RecordKind::Instance, RecordKind::Key};

std::vector<FieldChange> fieldChanges(const Record& a, const Record& b, const QStringList& skip) {
    QJsonObject before = toJson(a);
    QJsonObject after = toJson(b);
    QStringList fields = before.keys() + after.keys();
    fields.sort();
    fields.removeDuplicates();
    std::vector<FieldChange> out;
    for (const QString& field : fields) {
        if (field == u"id" || skip.contains(field))
            continue;
        const QJsonValue x = before.value(field);
        const QJsonValue y = after.value(field);
        if (x != y)
            out.push_back(FieldChange{field, x, y});
    }
    return out;
}

void diffKind(RecordKind kind, const std::vector<Record>& a, const std::vector<Record>& b,
              const DiffOptions& options, SnapshotDiff& diff) {
    QHash<QString, const Record*> before;
    before.reserve(qsizetype(a.size()));
    for (const Record& r : a)
        before.insert(recordId(r), &r);
    QHash<QString, const Record*> after;
    after.reserve(qsizetype(b.size()));
    for (const Record& r : b)
        after.insert(recordId(r), &r);
    const QStringList skip = options.ignoreVolatile ? volatileFields(kind) : QStringList();
    std::vector<RecordChange> changes;
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        const auto there = after.constFind(it.key());
        if (there == after.cend()) {
            changes.push_back(RecordChange{kind, RecordChange::Type::Removed, it.key(), {}});
            continue;
        }
        if (*it.value() == *there.value())
            continue;
        auto fields = fieldChanges(*it.value(), *there.value(), skip);
        if (!fields.empty())
            changes.push_back(
                RecordChange{kind, RecordChange::Type::Changed, it.key(), std::move(fields)});
    }
    for (auto it = after.cbegin(); it != after.cend(); ++it)
        if (!before.contains(it.key()))
            changes.push_back(RecordChange{kind, RecordChange::Type::Added, it.key(), {}});
    std::sort(changes.begin(), changes.end(),
              [](const RecordChange& x, const RecordChange& y) { return x.id < y.id; });
    for (RecordChange& c : changes) {
        ++(c.type == RecordChange::Type::Added     ? diff.added
           : c.type == RecordChange::Type::Removed ? diff.removed
                                                   : diff.changed);
        diff.changes.push_back(std::move(c));
    }
}

QJsonValue orNull(const QJsonValue& v) {
    return v.isUndefined() ? QJsonValue(QJsonValue::Null) : v;
}

} // namespace

QStringList volatileFields(RecordKind kind) {
    if (kind == RecordKind::Instance)
        return {u"latest_timestamp"_s, u"observed_at_ms"_s, u"renew_age_ms"_s,
                u"renew_timestamp"_s};
    return {};
}

SnapshotDiff diffRecords(const std::array<std::vector<Record>, 3>& a,
                         const std::array<std::vector<Record>, 3>& b, DiffOptions options) {
    SnapshotDiff diff;
    for (RecordKind kind : kKinds)
        diffKind(kind, a[size_t(kind)], b[size_t(kind)], options, diff);
    return diff;
}

QString kindName(RecordKind kind) {
    switch (kind) {
    case RecordKind::Entry:
        return u"entries"_s;
    case RecordKind::Instance:
        return u"instances"_s;
    case RecordKind::Key:
        return u"keys"_s;
    }
    return {};
}

QString changeName(RecordChange::Type type) {
    switch (type) {
    case RecordChange::Type::Added:
        return u"added"_s;
    case RecordChange::Type::Removed:
        return u"removed"_s;
    case RecordChange::Type::Changed:
        return u"changed"_s;
    }
    return {};
}

QString shortValue(const QJsonValue& value, qsizetype max) {
    QString text;
    if (value.isUndefined())
        return u"(none)"_s;
    if (value.isString())
        text = u'"' + value.toString() + u'"';
    else if (value.isArray())
        text = QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    else if (value.isObject())
        text = QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    else if (value.isNull())
        text = u"null"_s;
    else if (value.isBool())
        text = value.toBool() ? u"true"_s : u"false"_s;
    else if (const double d = value.toDouble(); d == std::floor(d) && std::abs(d) < 9e18)
        text = QString::number(value.toInteger(qint64(d)));
    else
        text = QString::number(d, 'g', 17);
    text.replace(u'\n', u"\\n"_s);
    if (text.size() > max)
        text = text.first(max - 1) + u'…';
    return text;
}

QString diffText(const SnapshotDiff& diff, const QString& nameA, const QString& nameB) {
    QString out;
    std::optional<RecordKind> kind;
    for (const RecordChange& c : diff.changes) {
        if (kind != c.kind) {
            kind = c.kind;
            out += kindName(c.kind) + u":\n";
        }
        const QChar mark = c.type == RecordChange::Type::Added     ? u'+'
                           : c.type == RecordChange::Type::Removed ? u'-'
                                                                   : u'~';
        if (c.type != RecordChange::Type::Changed) {
            out += u"  %1 %2\n"_s.arg(mark).arg(c.id);
            continue;
        }
        for (const FieldChange& f : c.fields)
            out += u"  ~ %1: %2 %3 → %4\n"_s.arg(c.id, f.field, shortValue(f.before),
                                                 shortValue(f.after));
    }
    out += diff.equal() ? u"equal: %1 and %2 have the same records\n"_s.arg(nameA, nameB)
                        : u"%1 → %2: %3 added, %4 removed, %5 changed\n"_s.arg(nameA, nameB)
                              .arg(diff.added)
                              .arg(diff.removed)
                              .arg(diff.changed);
    return out;
}

QJsonObject diffJson(const SnapshotDiff& diff, const QString& nameA, const QString& nameB) {
    QJsonArray changes;
    for (const RecordChange& c : diff.changes) {
        QJsonObject o{
            {u"kind"_s, kindName(c.kind)}, {u"change"_s, changeName(c.type)}, {u"id"_s, c.id}};
        if (c.type == RecordChange::Type::Changed) {
            QJsonArray fields;
            for (const FieldChange& f : c.fields)
                fields.append(QJsonObject{{u"field"_s, f.field},
                                          {u"old"_s, orNull(f.before)},
                                          {u"new"_s, orNull(f.after)}});
            o.insert(u"fields"_s, fields);
        }
        changes.append(o);
    }
    return QJsonObject{{u"a"_s, nameA},
                       {u"b"_s, nameB},
                       {u"equal"_s, diff.equal()},
                       {u"added"_s, diff.added},
                       {u"removed"_s, diff.removed},
                       {u"changed"_s, diff.changed},
                       {u"changes"_s, changes}};
}

} // namespace regscope
