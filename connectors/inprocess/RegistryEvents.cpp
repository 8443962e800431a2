#include "connectors/inprocess/RegistryEvents.h"

#include "models/MetricNames.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

qint64 ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

QString entryId(const registry::ChangeEvent& c) {
    return c.version.empty() || !c.aliasOf.empty()
               ? QString(q(c.tenant) % u'/' % q(c.name))
               : QString(q(c.tenant) % u'/' % q(c.name) % u'@' % q(c.version));
}

} // namespace

EntryRecord toEntryRecord(const registry::SnapshotEntry& e) {
    EntryRecord r;
    r.tenant = q(e.tenant);
    r.name = q(e.name);
    r.version = q(e.version);
    r.type = q(e.kind.empty() ? e.type : e.kind);
    r.description = q(e.description);
    r.aliasOf = q(e.aliasOf);
    r.deprecationMessage = q(e.deprecationMessage);
    r.removeAfter = q(e.removeAfter);
    r.origin = q(e.origin);
    r.registeredAtMs = ms(e.registeredAt);
    r.deprecated = e.deprecated || !e.aliasOf.empty();
    return r;
}

SnapshotEvent toSnapshotEvent(const std::vector<registry::SnapshotEntry>& entries,
                              qint64 revision) {
    SnapshotEvent s;
    s.kind = RecordKind::Entry;
    s.revision = revision;
    s.records.reserve(entries.size());
    // An alias has no kind of its own: show its target's (the tenant's layer, else global).
    std::map<std::pair<std::string_view, std::string_view>, std::string_view> kinds;
    for (const auto& e : entries) {
        if (e.aliasOf.empty() && !e.kind.empty())
            kinds.emplace(std::pair<std::string_view, std::string_view>{e.tenant, e.name}, e.kind);
    }
    for (const auto& e : entries) {
        EntryRecord r = toEntryRecord(e);
        if (!e.aliasOf.empty()) {
            auto it = kinds.find({e.tenant, e.aliasOf});
            if (it == kinds.end())
                it = kinds.find({std::string_view(), e.aliasOf});
            if (it != kinds.end())
                r.type = QString::fromUtf8(it->second.data(), qsizetype(it->second.size()));
        }
        s.records.emplace_back(std::move(r));
    }
    return s;
}

void appendEvents(const registry::ChangeEvent& c, EventBatch* out) {
    using registry::ChangeKind;
    const qint64 when = ms(c.time);
    const auto rev = qint64(c.generation);
    auto line = [&](QString category, QString text) {
        out->emplace_back(TimelineEvent{when, std::move(category), entryId(c), std::move(text)});
    };
    switch (c.kind) {
    case ChangeKind::Registered:
    case ChangeKind::AliasAdded: {
        EntryRecord r;
        r.tenant = q(c.tenant);
        r.name = q(c.name);
        r.version = c.kind == ChangeKind::Registered ? q(c.version) : QString();
        r.type = q(c.entryKind.empty() ? c.type : c.entryKind);
        r.description = q(c.description);
        r.aliasOf = q(c.aliasOf);
        r.deprecationMessage = q(c.deprecationMessage);
        r.removeAfter = q(c.removeAfter);
        r.origin = q(c.origin);
        r.registeredAtMs = when;
        r.deprecated = c.deprecated || c.kind == ChangeKind::AliasAdded;
        out->emplace_back(UpsertEvent{r, rev});
        if (c.kind == ChangeKind::Registered)
            line(u"register"_s, u"registered %1 %2"_s.arg(r.type, r.version));
        else
            line(u"register"_s, u"alias → %1 (%2)"_s.arg(r.aliasOf, r.deprecationMessage));
        break;
    }
    case ChangeKind::Deregistered:
    case ChangeKind::AliasRemoved:
        out->emplace_back(RemoveEvent{RecordKind::Entry, entryId(c), rev});
        line(u"deregister"_s,
             c.kind == ChangeKind::AliasRemoved ? u"alias removed"_s : u"deregistered"_s);
        break;
    case ChangeKind::Rejected:
        line(u"rejected"_s, (c.error ? q(std::string(registry::ToString(*c.error))) : u"error"_s) %
                                u": "_s % q(c.errorMessage));
        break;
    case ChangeKind::Reloaded:
        out->emplace_back(TimelineEvent{
            when, u"reload"_s, u"registry"_s,
            u"hot reload: %1 added, %2 removed, %3 kept"_s.arg(c.added).arg(c.removed).arg(
                c.kept)});
        break;
    case ChangeKind::DeprecatedLookup:
        break; // counted by the metrics; one event per lookup would flood the timeline
    }
}

namespace {
// The lookups timed between two samples of the same histogram.
registry::LatencyHistogram since(const registry::LatencyHistogram& now,
                                 const registry::LatencyHistogram& before) {
    if (before.counts.size() != now.counts.size() || before.count > now.count)
        return now; // not the same histogram (another registry): take it whole
    registry::LatencyHistogram d = now;
    for (std::size_t i = 0; i < d.counts.size(); ++i)
        d.counts[i] -= std::min(d.counts[i], before.counts[i]);
    d.count = now.count - before.count;
    d.sumSeconds = now.sumSeconds - before.sumSeconds;
    return d;
}
} // namespace

MetricsSample toMetricsSample(const registry::MetricsSnapshot& m, qint64 timestampMs,
                              const registry::LatencyHistogram* previous) {
    MetricsSample s;
    s.timestampMs = timestampMs;
    auto& p = s.points;
    auto add = [&p](QStringView name, double value, QStringView key = {}, QString label = {}) {
        MetricPoint point{name.toString(), {}, value};
        if (!key.isEmpty())
            point.labels.insert(key.toString(), label);
        p.push_back(std::move(point));
    };
    p.reserve(12 + m.hitsByName.size() + m.topMisses.size() + m.deprecatedLookupTotal.size());
    add(metric::kEntries, double(m.entries));
    add(metric::kAliases, double(m.aliases));
    add(metric::kGeneration, double(m.generation));
    add(metric::kLookupTotal, double(m.lookupHit), metric::kOutcome, u"hit"_s);
    add(metric::kLookupTotal, double(m.lookupMiss), metric::kOutcome, u"miss"_s);
    add(metric::kLookupTotal, double(m.lookupError), metric::kOutcome, u"error"_s);
    auto finite = [](double v) { return std::isfinite(v) ? v : 0.0; };
    const registry::LatencyHistogram latency = previous ? since(m.latency, *previous) : m.latency;
    if (latency.count > 0) {
        add(metric::kLookupLatency, finite(latency.P50()), metric::kQuantile, u"0.5"_s);
        add(metric::kLookupLatency, finite(latency.P99()), metric::kQuantile, u"0.99"_s);
    }
    for (const auto& [outcome, n] : m.registerTotal)
        add(metric::kRegisterTotal, double(n), metric::kOutcome, q(outcome));
    for (const auto& [name, n] : m.deprecatedLookupTotal)
        add(metric::kDeprecatedLookups, double(n), metric::kName, q(name));
    for (const auto& nc : m.hitsByName)
        add(metric::kHitsByName, double(nc.count), metric::kName, q(nc.name));
    for (const auto& nc : m.topMisses)
        add(metric::kMissesByName, double(nc.count), metric::kName, q(nc.name));
    return s;
}

} // namespace regscope
