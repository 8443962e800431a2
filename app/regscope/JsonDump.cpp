#include "app/regscope/JsonDump.h"

#include "models/RecordJson.h"
#include "models/Store.h"

#include <QDateTime>
#include <QJsonArray>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
QJsonValue probeJson(const Store& store, const QString& id) {
    const ProbeEvent* p = store.probeSummary(id);
    if (!p)
        return QJsonValue(); // not probed yet (the deadline came first)
    QJsonArray addrs;        // every address's verdict; the object speaks for the worst
    for (const ProbeEvent& a : *store.probes(id))
        addrs.append(QJsonObject{{u"addr"_s, a.addr},
                                 {u"state"_s, toString(a.state)},
                                 {u"latency_ms"_s, std::round(a.latencyMs * 10) / 10},
                                 {u"detail"_s, a.detail}});
    return QJsonObject{
        {u"state"_s, toString(p->state)},
        {u"latency_ms"_s, std::round(p->latencyMs * 10) / 10},
        {u"at"_s,
         QDateTime::fromMSecsSinceEpoch(p->atMs, Qt::UTC).toString(Qt::ISODateWithMs)},
        {u"addr"_s, p->addr},
        {u"detail"_s, p->detail},
        {u"addrs"_s, addrs},
    };
}

QJsonArray records(const Store& store, RecordKind kind, bool probes) {
    std::vector<std::pair<QString, QJsonObject>> rows;
    store.forEach(kind, [&](const Record& r) {
        rows.emplace_back(recordId(r), toJson(r));
        if (probes && kind == RecordKind::Instance)
            rows.back().second.insert(u"probe"_s, probeJson(store, rows.back().first));
    });
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    QJsonArray out;
    for (auto& [id, json] : rows)
        out.append(json);
    return out;
}
} // namespace

QJsonObject dumpJson(const Store& store, const QString& url, bool probes) {
    QJsonObject counts{{u"entries"_s, store.count(RecordKind::Entry)},
                       {u"instances"_s, store.count(RecordKind::Instance)},
                       {u"keys"_s, store.count(RecordKind::Key)}};
    QJsonArray timeline;
    const auto& events = store.timeline();
    const size_t from = events.size() > 100 ? events.size() - 100 : 0;
    for (size_t i = from; i < events.size(); ++i)
        timeline.append(toJson(events[i]));
    // Plugins (PluginEvent, latest per path): state and the calls observed.
    QJsonArray plugins;
    for (const PluginEvent& p : store.plugins())
        plugins.append(QJsonObject{{u"path"_s, p.path},
                                   {u"state"_s, toString(p.state)},
                                   {u"kind"_s, p.verdict ? p.verdict->kind() : QString()},
                                   {u"calls"_s, p.calls.toJson()}});
    return QJsonObject{
        {u"source"_s, url},
        {u"health"_s, toJson(store.health())},
        {u"counts"_s, counts},
        {u"entries"_s, records(store, RecordKind::Entry, false)},
        {u"instances"_s, records(store, RecordKind::Instance, probes)},
        {u"keys"_s, records(store, RecordKind::Key, false)},
        {u"metrics"_s,
         !store.metrics().latest() ? QJsonValue() : QJsonValue(toJson(*store.metrics().latest()))},
        {u"timeline"_s, timeline},
        {u"plugins"_s, plugins},
    };
}

} // namespace regscope
