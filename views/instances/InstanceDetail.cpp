#include "views/instances/InstanceDetail.h"

#include "models/RecordJson.h"
#include "models/instances/InstanceModel.h"

#include <QDateTime>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QString stamp(qint64 ns) {
    if (ns <= 0)
        return u"—"_s;
    return QDateTime::fromMSecsSinceEpoch(ns / 1'000'000).toString(u"yyyy-MM-dd hh:mm:ss.zzz"_s) %
           u"  ("_s % QString::number(ns) % u" ns)"_s;
}

QString verdictText(InstanceModel::Verdict v) {
    switch (v) {
    case InstanceModel::Verdict::NotTracked:
        return u"not renewed (etcd key)"_s;
    case InstanceModel::Verdict::Fresh:
        return u"renewing"_s;
    case InstanceModel::Verdict::Stale:
        return u"STALE: renew overdue by the server's clock"_s;
    case InstanceModel::Verdict::Unknown:
        return u"unknown: our data is too old to judge"_s;
    }
    return {};
}

} // namespace

QString instanceDetailText(const InstanceRecord& r, const InstanceModel& model) {
    QStringList lines;
    lines << u"%1 / %2"_s.arg(r.appid, r.hostname);
    lines << u"zone %1 · env %2 · region %3 · version %4 · %5"_s.arg(
        r.zone, r.env, r.region.isEmpty() ? u"—"_s : r.region,
        r.version.isEmpty() ? u"—"_s : r.version,
        r.status == 1   ? u"UP"_s
        : r.status == 2 ? u"WAITING"_s
                        : u"status %1"_s.arg(r.status));
    lines << u"source: %1%2"_s.arg(r.source, r.leaseId != 0 ? u", lease %1"_s.arg(r.leaseId, 0, 16)
                                                            : QString());
    lines << QString() << u"Addresses (%1)"_s.arg(r.addrs.size());
    for (const auto& a : r.addrs) {
        QString line = u"  "_s % a;
        // The reality check, when it is on: what probing this address found last.
        if (const QList<ProbeEvent>* probes = model.probes(r))
            for (const ProbeEvent& p : *probes)
                if (p.addr == a)
                    line += u"   probe: %1, %2 ms at %3 (%4)"_s.arg(
                        toString(p.state), QString::number(p.latencyMs, 'f', 1),
                        QDateTime::fromMSecsSinceEpoch(p.atMs).toString(u"hh:mm:ss"_s), p.detail);
        lines << line;
    }
    lines << QString() << u"Metadata (%1)"_s.arg(r.metadata.size());
    for (auto it = r.metadata.cbegin(); it != r.metadata.cend(); ++it)
        lines << u"  %1 = %2"_s.arg(it.key(), it.value());
    lines << QString() << u"Timestamps (server clock)"_s;
    lines << u"  registered  "_s % stamp(r.regTimestampNs);
    lines << u"  up          "_s % stamp(r.upTimestampNs);
    lines << u"  last renew  "_s % stamp(r.renewTimestampNs);
    lines << u"  dirty       "_s % stamp(r.dirtyTimestampNs);
    lines << u"  latest      "_s % stamp(r.latestTimestampNs);
    lines << QString() << u"Verdict: "_s % verdictText(model.verdict(r));
    if (r.renewAgeMs >= 0)
        lines
            << u"  the server said the last renew was %1 ms old at %2"_s.arg(r.renewAgeMs)
                   .arg(QDateTime::fromMSecsSinceEpoch(r.observedAtMs).toString(u"hh:mm:ss.zzz"_s));
    lines << QString() << u"Raw JSON"_s
          << QString::fromUtf8(QJsonDocument(toJson(r)).toJson(QJsonDocument::Indented));
    return lines.join(u'\n');
}

} // namespace regscope
