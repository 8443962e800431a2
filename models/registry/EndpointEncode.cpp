// The JSON of the frames the endpoint sends (docs/attach-protocol.md §4.1).

#include "models/registry/EndpointInternal.h"

#include <algorithm>

namespace regscope::registry::detail {

using protocol::JsonWriter;

#ifndef REGSCOPE_REGISTRY_VERSION
#define REGSCOPE_REGISTRY_VERSION "0.0.0"
#endif

std::int64_t EpochMs(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

namespace {

void WriteEntry(JsonWriter& w, const SnapshotEntry& e) {
    w.Str("tenant", e.tenant)
        .Str("name", e.name)
        .Str("version", e.version)
        .Str("kind", e.kind)
        .Str("description", e.description)
        .Str("origin", e.origin)
        .Str("registered_by", e.registeredBy)
        .Int("registered_at", EpochMs(e.registeredAt))
        .Str("alias_of", e.aliasOf)
        .Bool("deprecated", e.deprecated)
        .Str("deprecation_message", e.deprecationMessage)
        .Str("remove_after", e.removeAfter);
}

SnapshotEntry EntryOf(const ChangeEvent& e) {
    SnapshotEntry s;
    s.tenant = e.tenant;
    s.name = e.name;
    s.version = e.version;
    s.type = e.type;
    s.kind = e.entryKind;
    s.description = e.description;
    s.origin = e.origin;
    s.registeredAt = e.time;
    s.aliasOf = e.aliasOf;
    s.deprecated = e.deprecated;
    s.deprecationMessage = e.deprecationMessage;
    s.removeAfter = e.removeAfter;
    s.registeredBy = e.registeredBy;
    return s;
}

void ChangeHead(JsonWriter& w, const std::string& registry, const ChangeEvent& e,
                std::string_view op) {
    w.Begin()
        .Str("type", "change")
        .Str("registry", registry)
        .UInt("generation", e.generation)
        .Int("ts", EpochMs(e.time))
        .Str("op", op);
}

} // namespace

std::string EncodeHello(const ProcessFacts& f,
                        const std::vector<std::shared_ptr<ExposedRegistry>>& regs) {
    JsonWriter w;
    w.Begin()
        .Str("type", "hello")
        .Int("protocol", protocol::kVersion)
        .Int("pid", f.pid)
        .Str("exe", f.exe)
        .BeginArray("argv");
    for (const auto& a : f.argv)
        w.StrInArray(a);
    w.EndArray()
        .Int("start_time", f.startTimeMs)
        .Str("library_version", REGSCOPE_REGISTRY_VERSION)
        .Str("process_name", f.processName)
        .UInt("uid", f.uid)
        .BeginArray("registries");
    for (const auto& r : regs) {
        if (r->gone || !r->registry)
            continue;
        const auto m = r->registry->Metrics();
        w.BeginObjectInArray()
            .Str("name", r->name)
            .UInt("entries", m.entries)
            .UInt("aliases", m.aliases)
            .UInt("generation", m.generation)
            .End();
    }
    w.EndArray().End();
    return w.Take();
}

std::string EncodeSnapshotChunk(const std::string& registry, const GenerationSnapshot& snap,
                                std::size_t chunk, const std::string& reason) {
    const std::size_t from = chunk * protocol::kSnapshotChunk;
    const std::size_t to = std::min(snap.entries.size(), from + protocol::kSnapshotChunk);
    JsonWriter w;
    w.Text().reserve((to - from) * 260 + 200);
    w.Begin()
        .Str("type", "snapshot")
        .Str("registry", registry)
        .UInt("generation", snap.generation)
        .Bool("resync", reason == "resync")
        .Str("reason", reason)
        .UInt("chunk", chunk)
        .Bool("last", to >= snap.entries.size())
        .UInt("total", snap.entries.size())
        .BeginArray("entries");
    for (std::size_t i = from; i < to; ++i) {
        w.BeginObjectInArray();
        WriteEntry(w, snap.entries[i]);
        w.End();
    }
    w.EndArray().End();
    return w.Take();
}

std::string EncodeChange(const std::string& registry, const ChangeEvent& e) {
    JsonWriter w;
    switch (e.kind) {
    case ChangeKind::Registered:
        ChangeHead(w, registry, e, "upsert");
        break;
    case ChangeKind::AliasAdded:
        ChangeHead(w, registry, e, "alias");
        break;
    case ChangeKind::Deregistered:
    case ChangeKind::AliasRemoved:
        ChangeHead(w, registry, e, "remove");
        w.BeginObject("entry")
            .Str("tenant", e.tenant)
            .Str("name", e.name)
            .Str("version", e.kind == ChangeKind::AliasRemoved ? std::string() : e.version)
            .End()
            .End();
        return w.Take();
    case ChangeKind::Reloaded:
        ChangeHead(w, registry, e, "reload");
        w.UInt("added", e.added).UInt("removed", e.removed).UInt("kept", e.kept).End();
        return w.Take();
    case ChangeKind::Rejected:
        ChangeHead(w, registry, e, "rejected");
        w.BeginObject("entry")
            .Str("tenant", e.tenant)
            .Str("name", e.name)
            .Str("version", e.version)
            .End()
            .Str("action", ToString(e.action))
            .Str("error_code", e.error ? ToString(*e.error) : std::string_view())
            .Str("error_message", e.errorMessage)
            .End();
        return w.Take();
    case ChangeKind::DeprecatedLookup:
        return {};
    }
    w.BeginObject("entry");
    WriteEntry(w, EntryOf(e));
    w.End().End();
    return w.Take();
}

std::string EncodeGone(const std::string& registry) {
    JsonWriter w;
    w.Begin()
        .Str("type", "change")
        .Str("registry", registry)
        .UInt("generation", 0)
        .Int("ts", EpochMs(std::chrono::system_clock::now()))
        .Str("op", "gone")
        .End();
    return w.Take();
}

std::string EncodeMetrics(const std::string& registry, const MetricsSnapshot& m,
                          std::int64_t tsMs) {
    JsonWriter w;
    w.Begin()
        .Str("type", "metrics")
        .Str("registry", registry)
        .Int("ts", tsMs)
        .UInt("generation", m.generation)
        .UInt("entries", m.entries)
        .UInt("aliases", m.aliases)
        .UInt("hits", m.lookupHit)
        .UInt("misses", m.lookupMiss)
        .UInt("errors", m.lookupError)
        .BeginObject("latency")
        .BeginArray("bounds_s");
    for (double b : m.latency.boundsSeconds)
        w.DoubleInArray(b);
    w.EndArray().BeginArray("counts");
    for (auto c : m.latency.counts)
        w.UIntInArray(c);
    w.EndArray()
        .UInt("count", m.latency.count)
        .Double("sum_s", m.latency.sumSeconds)
        .UInt("sample_every", m.latencySampleEvery)
        .End()
        .BeginArray("top_misses");
    for (const auto& nc : m.topMisses)
        w.BeginObjectInArray()
            .Str("name", nc.name)
            .UInt("count", nc.count)
            .UInt("error", nc.error)
            .End();
    w.EndArray().BeginObject("deprecated_lookups");
    for (const auto& [name, n] : m.deprecatedLookupTotal)
        w.UInt(name, n);
    w.End().BeginObject("register_total");
    for (const auto& [outcome, n] : m.registerTotal)
        w.UInt(outcome, n);
    w.End().BeginArray("hits_by_name");
    for (std::size_t i = 0; i < m.hitsByName.size() && i < 100; ++i)
        w.BeginObjectInArray()
            .Str("name", m.hitsByName[i].name)
            .UInt("count", m.hitsByName[i].count)
            .End();
    w.EndArray().End();
    return w.Take();
}

std::string EncodeAudit(const std::string& registry, const std::vector<std::string>& lines) {
    JsonWriter w;
    w.Begin().Str("type", "audit").Str("registry", registry).BeginArray("lines");
    for (const auto& l : lines)
        w.StrInArray(l);
    w.EndArray().End();
    return w.Take();
}

std::string EncodeError(std::string_view code, std::string_view message) {
    JsonWriter w;
    w.Begin().Str("type", "error").Str("code", code).Str("message", message).End();
    return w.Take();
}

std::string EncodePong(std::int64_t id, std::int64_t tsMs) {
    JsonWriter w;
    w.Begin().Str("type", "pong").Int("id", id).Int("ts", tsMs).End();
    return w.Take();
}

} // namespace regscope::registry::detail
