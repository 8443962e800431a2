#pragma once
// Reconciliation of the instances several sources hold (a discovery server and etcd during a
// migration, two discovery nodes...). Instances match across two sources by (appid, address);
// when one address names several instances, the same hostname wins the tie. A match whose
// status, version or metadata differ is a drift with the fields that differ; an instance with
// no match is only in its source. Pure values: the headless dump and the window use it alike.

#include "models/SourceEvent.h"

#include <QJsonObject>

#include <vector>

namespace regscope {

struct SourceInstances {
    QString source; // the source's URL, as the user typed it
    std::vector<InstanceRecord> instances;
};

struct DriftField {
    QString field; // "status", "version" or "metadata.<key>"
    QString a;     // the value in source A ("" when absent)
    QString b;

    friend bool operator==(const DriftField&, const DriftField&) = default;
};

struct DriftFinding {
    enum class Kind : quint8 { OnlyInA, OnlyInB, Differs };
    Kind kind = Kind::Differs;
    QString sourceA;
    QString sourceB;
    QString appid;
    QString hostname;  // A's hostname (B's for OnlyInB)
    QString hostnameB; // B's, for a match whose hostnames differ
    QString addr;      // the address the match was made on (OnlyIn: the instance's first)
    std::vector<DriftField> fields;
};

QString toString(DriftFinding::Kind kind); // "only_in_a", "only_in_b", "differs"

struct Reconciliation {
    std::vector<DriftFinding> findings; // per pair of sources, then by appid and hostname
    qsizetype matched = 0;              // instances found in both sources of a pair
    qsizetype onlyInA = 0;
    qsizetype onlyInB = 0;
    qsizetype differs = 0;
};

// Every pair (i < j) of the sources that hold instances; a source without any is compared as
// holding none (so all of the other's instances are "only in" the other).
Reconciliation reconcile(const std::vector<SourceInstances>& sources);
Reconciliation reconcile(const SourceInstances& a, const SourceInstances& b);

// {"matched":N,"only_in_a":N,"only_in_b":N,"differs":N,"findings":[{"kind":...,"a":URL,
//  "b":URL,"appid":...,"hostname":...,"addr":...,"fields":[{"field","a","b"}]}]}
QJsonObject toJson(const Reconciliation& r);

} // namespace regscope
