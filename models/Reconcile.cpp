#include "models/Reconcile.h"

#include <QHash>
#include <QJsonArray>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

QString toString(DriftFinding::Kind kind) {
    switch (kind) {
    case DriftFinding::Kind::OnlyInA:
        return u"only_in_a"_s;
    case DriftFinding::Kind::OnlyInB:
        return u"only_in_b"_s;
    case DriftFinding::Kind::Differs:
        return u"differs"_s;
    }
    return {};
}

namespace {

// An address as both sources would write it: scheme and host lower-case, no trailing slash.
QString normalAddr(const QString& addr) {
    QString a = addr.trimmed().toLower();
    while (a.endsWith(u'/'))
        a.chop(1);
    return a;
}

std::vector<DriftField> differences(const InstanceRecord& a, const InstanceRecord& b) {
    std::vector<DriftField> out;
    if (a.status != b.status)
        out.push_back({u"status"_s, QString::number(a.status), QString::number(b.status)});
    if (a.version != b.version)
        out.push_back({u"version"_s, a.version, b.version});
    QStringList keys = a.metadata.keys() + b.metadata.keys();
    keys.sort();
    keys.removeDuplicates();
    for (const QString& k : keys) {
        const QString va = a.metadata.value(k);
        const QString vb = b.metadata.value(k);
        if (va != vb || a.metadata.contains(k) != b.metadata.contains(k))
            out.push_back({u"metadata."_s + k, va, vb});
    }
    return out;
}

// B's instances by (appid, address): the candidates an instance of A can match.
using AddrIndex = QHash<QString, std::vector<qsizetype>>;
QString indexKey(const QString& appid, const QString& addr) {
    return appid + u'\x1f' + normalAddr(addr);
}

AddrIndex indexOf(const std::vector<InstanceRecord>& instances) {
    AddrIndex index;
    for (qsizetype i = 0; i < qsizetype(instances.size()); ++i)
        for (const QString& addr : instances[size_t(i)].addrs)
            index[indexKey(instances[size_t(i)].appid, addr)].push_back(i);
    return index;
}

// The unmatched instance of B that A's instance matches, and the address it matched on.
std::pair<qsizetype, QString> findMatch(const InstanceRecord& a,
                                        const std::vector<InstanceRecord>& bs,
                                        const AddrIndex& index, const std::vector<bool>& taken) {
    std::pair<qsizetype, QString> best{-1, {}};
    for (const QString& addr : a.addrs) {
        const auto it = index.constFind(indexKey(a.appid, addr));
        if (it == index.cend())
            continue;
        for (const qsizetype j : *it) {
            if (taken[size_t(j)])
                continue;
            if (bs[size_t(j)].hostname == a.hostname)
                return {j, addr}; // the tie-break: the same hostname wins outright
            if (best.first < 0)
                best = {j, addr};
        }
    }
    return best;
}

void sortFindings(std::vector<DriftFinding>& findings) {
    std::stable_sort(findings.begin(), findings.end(), [](const auto& x, const auto& y) {
        return std::tie(x.appid, x.hostname, x.addr) < std::tie(y.appid, y.hostname, y.addr);
    });
}

} // namespace

Reconciliation reconcile(const SourceInstances& a, const SourceInstances& b) {
    Reconciliation r;
    const AddrIndex index = indexOf(b.instances);
    std::vector<bool> taken(b.instances.size(), false);
    std::vector<DriftFinding> findings;
    for (const InstanceRecord& ia : a.instances) {
        const auto [j, addr] = findMatch(ia, b.instances, index, taken);
        DriftFinding f{.sourceA = a.source,
                       .sourceB = b.source,
                       .appid = ia.appid,
                       .hostname = ia.hostname,
                       .hostnameB = {},
                       .addr = addr,
                       .fields = {}};
        if (j < 0) {
            f.kind = DriftFinding::Kind::OnlyInA;
            f.addr = ia.addrs.value(0);
            ++r.onlyInA;
            findings.push_back(std::move(f));
            continue;
        }
        taken[size_t(j)] = true;
        ++r.matched;
        const InstanceRecord& ib = b.instances[size_t(j)];
        f.fields = differences(ia, ib);
        if (ib.hostname != ia.hostname)
            f.hostnameB = ib.hostname;
        if (!f.fields.empty()) {
            f.kind = DriftFinding::Kind::Differs;
            ++r.differs;
            findings.push_back(std::move(f));
        }
    }
    for (size_t j = 0; j < b.instances.size(); ++j) {
        if (taken[j])
            continue;
        const InstanceRecord& ib = b.instances[j];
        findings.push_back({.kind = DriftFinding::Kind::OnlyInB,
                            .sourceA = a.source,
                            .sourceB = b.source,
                            .appid = ib.appid,
                            .hostname = ib.hostname,
                            .hostnameB = {},
                            .addr = ib.addrs.value(0),
                            .fields = {}});
        ++r.onlyInB;
    }
    sortFindings(findings);
    r.findings = std::move(findings);
    return r;
}

Reconciliation reconcile(const std::vector<SourceInstances>& sources) {
    Reconciliation all;
    for (size_t i = 0; i < sources.size(); ++i) {
        for (size_t j = i + 1; j < sources.size(); ++j) {
            Reconciliation pair = reconcile(sources[i], sources[j]);
            all.matched += pair.matched;
            all.onlyInA += pair.onlyInA;
            all.onlyInB += pair.onlyInB;
            all.differs += pair.differs;
            std::move(pair.findings.begin(), pair.findings.end(), std::back_inserter(all.findings));
        }
    }
    return all;
}

QJsonObject toJson(const Reconciliation& r) {
    QJsonArray findings;
    for (const DriftFinding& f : r.findings) {
        QJsonArray fields;
        for (const DriftField& d : f.fields)
            fields.append(QJsonObject{{u"field"_s, d.field}, {u"a"_s, d.a}, {u"b"_s, d.b}});
        QJsonObject o{{u"kind"_s, toString(f.kind)}, {u"a"_s, f.sourceA},
                      {u"b"_s, f.sourceB},           {u"appid"_s, f.appid},
                      {u"hostname"_s, f.hostname},   {u"addr"_s, f.addr}};
        if (!f.hostnameB.isEmpty())
            o.insert(u"hostname_b"_s, f.hostnameB);
        if (!fields.isEmpty())
            o.insert(u"fields"_s, fields);
        findings.append(o);
    }
    return QJsonObject{{u"matched"_s, r.matched},
                       {u"only_in_a"_s, r.onlyInA},
                       {u"only_in_b"_s, r.onlyInB},
                       {u"differs"_s, r.differs},
                       {u"findings"_s, findings}};
}

} // namespace regscope
