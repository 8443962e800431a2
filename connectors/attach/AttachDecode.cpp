#include "connectors/attach/AttachDecode.h"

#include "connectors/inprocess/RegistryEvents.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>

#include <algorithm>
#include <map>

using namespace Qt::StringLiterals;

namespace regscope::attach {

namespace {

std::uint64_t u64(const QJsonValue& v) {
    const double d = v.toDouble();
    return d > 0 ? std::uint64_t(d) : 0;
}

std::string str(const QJsonValue& v) {
    return v.toString().toStdString();
}

std::vector<registry::NameCount> nameCounts(const QJsonArray& array) {
    std::vector<registry::NameCount> out;
    out.reserve(size_t(array.size()));
    for (const QJsonValue& v : array) {
        const QJsonObject o = v.toObject();
        out.push_back({str(o.value(u"name")), u64(o.value(u"count")), u64(o.value(u"error"))});
    }
    return out;
}

registry::MetricsSnapshot decodeMetrics(const QJsonObject& m) {
    registry::MetricsSnapshot s;
    s.entries = u64(m.value(u"entries"));
    s.aliases = u64(m.value(u"aliases"));
    s.generation = u64(m.value(u"generation"));
    s.lookupHit = u64(m.value(u"hits"));
    s.lookupMiss = u64(m.value(u"misses"));
    s.lookupError = u64(m.value(u"errors"));
    const QJsonObject latency = m.value(u"latency").toObject();
    for (const QJsonValue& b : latency.value(u"bounds_s").toArray())
        s.latency.boundsSeconds.push_back(b.toDouble());
    for (const QJsonValue& c : latency.value(u"counts").toArray())
        s.latency.counts.push_back(u64(c));
    if (s.latency.counts.size() != s.latency.boundsSeconds.size() + 1)
        s.latency = {}; // not a histogram this version knows: leave latency out
    else {
        s.latency.count = u64(latency.value(u"count"));
        s.latency.sumSeconds = latency.value(u"sum_s").toDouble();
    }
    s.latencySampleEvery = std::uint32_t(u64(latency.value(u"sample_every")));
    s.topMisses = nameCounts(m.value(u"top_misses").toArray());
    s.hitsByName = nameCounts(m.value(u"hits_by_name").toArray());
    const QJsonObject deprecated = m.value(u"deprecated_lookups").toObject();
    for (auto it = deprecated.begin(); it != deprecated.end(); ++it)
        s.deprecatedLookupTotal[it.key().toStdString()] = u64(it.value());
    const QJsonObject registers = m.value(u"register_total").toObject();
    for (auto it = registers.begin(); it != registers.end(); ++it)
        s.registerTotal[it.key().toStdString()] = u64(it.value());
    return s;
}

void addCounts(std::vector<registry::NameCount>& into,
               const std::vector<registry::NameCount>& from) {
    for (const auto& nc : from) {
        const auto it = std::find_if(into.begin(), into.end(), [&](const registry::NameCount& x) {
            return x.name == nc.name;
        });
        if (it == into.end())
            into.push_back(nc);
        else {
            it->count += nc.count;
            it->error += nc.error;
        }
    }
}

QString entryId(const QJsonObject& e, const QString& registry) {
    EntryRecord key;
    key.registry = registry;
    key.tenant = e.value(u"tenant").toString();
    key.name = e.value(u"name").toString();
    key.version = e.value(u"version").toString();
    if (key.version.isEmpty())
        key.aliasOf = u"-"_s; // an alias: its id has no version
    return recordId(key);
}

} // namespace

QString HostInfo::label() const {
    return u"process %1 (%2)"_s.arg(pid).arg(processName.isEmpty() ? QFileInfo(exe).fileName()
                                                                   : processName);
}

QJsonObject HostInfo::toJson(const QString& socketPath) const {
    QJsonArray regs;
    qint64 entries = 0;
    for (const Registry& r : registries) {
        regs.append(
            QJsonObject{{u"name"_s, r.name}, {u"entries"_s, r.entries}, {u"aliases"_s, r.aliases}});
        entries += r.entries;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    return QJsonObject{{u"pid"_s, pid},
                       {u"exe"_s, exe},
                       {u"name"_s, processName},
                       {u"argv"_s, QJsonArray::fromStringList(argv)},
                       {u"registries"_s, regs},
                       {u"entries"_s, entries},
                       {u"start_time"_s, startTimeMs},
                       {u"uptime_s"_s, startTimeMs > 0 ? (now - startTimeMs) / 1000 : 0},
                       {u"library_version"_s, libraryVersion},
                       {u"socket"_s, socketPath},
                       {u"url"_s, u"pid://%1"_s.arg(pid)}};
}

HostInfo decodeHello(const QJsonObject& hello) {
    HostInfo info;
    info.pid = qint64(hello.value(u"pid").toDouble());
    info.exe = hello.value(u"exe").toString();
    info.processName = hello.value(u"process_name").toString();
    for (const QJsonValue& a : hello.value(u"argv").toArray())
        info.argv << a.toString();
    info.startTimeMs = qint64(hello.value(u"start_time").toDouble());
    info.libraryVersion = hello.value(u"library_version").toString();
    info.uid = qint64(hello.value(u"uid").toDouble(-1));
    for (const QJsonValue& v : hello.value(u"registries").toArray()) {
        const QJsonObject r = v.toObject();
        info.registries.push_back({r.value(u"name").toString(),
                                   qint64(r.value(u"entries").toDouble()),
                                   qint64(r.value(u"aliases").toDouble())});
    }
    return info;
}

EntryRecord decodeEntry(const QJsonObject& e, const QString& registry) {
    EntryRecord r;
    r.registry = registry;
    r.tenant = e.value(u"tenant").toString();
    r.name = e.value(u"name").toString();
    r.version = e.value(u"version").toString();
    r.type = e.value(u"kind").toString();
    r.description = e.value(u"description").toString();
    r.aliasOf = e.value(u"alias_of").toString();
    r.deprecationMessage = e.value(u"deprecation_message").toString();
    r.removeAfter = e.value(u"remove_after").toString();
    // Which loaded object put the name there is what the Entries view shows; what the program
    // said (often "builtin") is the fallback.
    const QString by = e.value(u"registered_by").toString();
    r.origin = by.isEmpty() ? e.value(u"origin").toString() : by;
    r.registeredAtMs = qint64(e.value(u"registered_at").toDouble());
    r.deprecated = e.value(u"deprecated").toBool() || !r.aliasOf.isEmpty();
    if (!r.aliasOf.isEmpty())
        r.version.clear();
    return r;
}

ChangeResult appendChange(const QJsonObject& c, EventBatch* out) {
    ChangeResult result;
    const QString registry = c.value(u"registry").toString();
    const QString op = c.value(u"op").toString();
    const qint64 when = qint64(c.value(u"ts").toDouble());
    const auto generation = qint64(c.value(u"generation").toDouble());
    const QJsonObject entry = c.value(u"entry").toObject();
    auto line = [&](const QString& category, const QString& subject, const QString& text) {
        out->emplace_back(TimelineEvent{when, category, subject, text});
    };
    if (op == u"upsert" || op == u"alias") {
        EntryRecord r = decodeEntry(entry, registry);
        result.upsertedId = recordId(r);
        const QString subject = r.tenant % u'/' % r.name;
        if (op == u"upsert")
            line(u"register"_s, subject % u'@' % r.version,
                 u"registered %1 %2"_s.arg(r.type, r.version));
        else
            line(u"register"_s, subject, u"alias → %1 (%2)"_s.arg(r.aliasOf, r.deprecationMessage));
        out->emplace_back(UpsertEvent{std::move(r), generation});
    } else if (op == u"remove") {
        const QString id = entryId(entry, registry);
        result.removedId = id;
        out->emplace_back(RemoveEvent{RecordKind::Entry, id, generation});
        line(u"deregister"_s, id,
             entry.value(u"version").toString().isEmpty() ? u"alias removed"_s : u"deregistered"_s);
    } else if (op == u"rejected") {
        line(u"rejected"_s, entryId(entry, registry),
             c.value(u"action").toString() % u": "_s % c.value(u"error_code").toString() % u": "_s %
                 c.value(u"error_message").toString());
    } else if (op == u"reload") {
        line(u"reload"_s, registry,
             u"hot reload: %1 added, %2 removed, %3 kept"_s.arg(c.value(u"added").toInt())
                 .arg(c.value(u"removed").toInt())
                 .arg(c.value(u"kept").toInt()));
    } else if (op == u"gone") {
        result.gone = true;
        line(u"deregister"_s, registry,
             u"registry %1 was destroyed (its last state is kept)"_s.arg(registry));
    }
    return result;
}

std::optional<MetricsSample> MetricsMerger::add(const QJsonObject& metrics,
                                                qsizetype registryCount) {
    const QString registry = metrics.value(u"registry").toString();
    std::optional<MetricsSample> out;
    const qint64 ts =
        qint64(metrics.value(u"ts").toDouble(double(QDateTime::currentMSecsSinceEpoch())));
    if (m_round.contains(registry)) { // a new round began before every registry reported
        out = merged(ts);
        m_round.clear();
    }
    m_last.insert(registry, decodeMetrics(metrics));
    m_round.insert(registry, true);
    if (!out && m_round.size() >= std::max<qsizetype>(1, registryCount)) {
        out = merged(ts);
        m_round.clear();
    }
    return out;
}

void MetricsMerger::forget(const QString& registry) {
    m_last.remove(registry);
    m_round.remove(registry);
}

MetricsSample MetricsMerger::merged(qint64 timestampMs) {
    registry::MetricsSnapshot sum;
    bool first = true;
    for (const registry::MetricsSnapshot& m : std::as_const(m_last)) {
        sum.entries += m.entries;
        sum.aliases += m.aliases;
        sum.generation += m.generation;
        sum.lookupHit += m.lookupHit;
        sum.lookupMiss += m.lookupMiss;
        sum.lookupError += m.lookupError;
        for (const auto& [k, v] : m.registerTotal)
            sum.registerTotal[k] += v;
        for (const auto& [k, v] : m.deprecatedLookupTotal)
            sum.deprecatedLookupTotal[k] += v;
        addCounts(sum.hitsByName, m.hitsByName);
        addCounts(sum.topMisses, m.topMisses);
        if (first) {
            sum.latency = m.latency;
            first = false;
        } else if (m.latency.boundsSeconds == sum.latency.boundsSeconds) {
            for (size_t i = 0; i < sum.latency.counts.size(); ++i)
                sum.latency.counts[i] += m.latency.counts[i];
            sum.latency.count += m.latency.count;
            sum.latency.sumSeconds += m.latency.sumSeconds;
        }
    }
    auto byCount = [](const registry::NameCount& a, const registry::NameCount& b) {
        return a.count > b.count;
    };
    std::sort(sum.hitsByName.begin(), sum.hitsByName.end(), byCount);
    std::sort(sum.topMisses.begin(), sum.topMisses.end(), byCount);
    MetricsSample sample = toMetricsSample(sum, timestampMs, m_previous ? &*m_previous : nullptr);
    m_previous = sum.latency;
    return sample;
}

} // namespace regscope::attach
