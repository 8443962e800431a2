#include "app/regscope/JsonDump.h"

#include "models/Snapshot.h"
#include "models/Store.h"

#include <QDateTime>
#include <QJsonArray>

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
        {u"at"_s, QDateTime::fromMSecsSinceEpoch(p->atMs, Qt::UTC).toString(Qt::ISODateWithMs)},
        {u"addr"_s, p->addr},
        {u"detail"_s, p->detail},
        {u"addrs"_s, addrs},
    };
}

} // namespace

// The dump is the snapshot (models/Snapshot, docs/snapshot-schema.md): one schema for
// `--dump json`, File ▸ Save snapshot… and the file:// source. --probe adds the verdicts.
QJsonObject dumpJson(const Store& store, const QString& url, bool probes) {
    QJsonObject dump = toJson(takeSnapshot(store, url));
    if (!probes)
        return dump;
    QJsonArray instances = dump.value(u"instances"_s).toArray();
    for (qsizetype i = 0; i < instances.size(); ++i) {
        QJsonObject o = instances[i].toObject();
        InstanceRecord key; // recordId: appid/zone/env/hostname
        key.appid = o.value(u"appid"_s).toString();
        key.zone = o.value(u"zone"_s).toString();
        key.env = o.value(u"env"_s).toString();
        key.hostname = o.value(u"hostname"_s).toString();
        o.insert(u"probe"_s, probeJson(store, recordId(key)));
        instances[i] = o;
    }
    dump.insert(u"instances"_s, instances);
    return dump;
}

} // namespace regscope
