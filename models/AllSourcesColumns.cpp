// The cells of the all-sources table, per record kind: the columns a user reads first in the
// panel of that kind (Entries, Instances, etcd keys), each as one line of text, with numbers
// as numbers for sorting and the row's state as a role (models never paint).

#include "models/AllSourcesModel.h"
#include "models/ByteText.h"
#include "models/ItemRoles.h"
#include "models/Store.h"

#include <QDateTime>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

enum EntryColumn { ERegistry, ETenant, EName, EVersion, EType, EState, EOrigin };
enum InstanceColumn { IApp, IHost, IZone, IEnv, IAddrs, IVersion, IStatus, IRenew, IStale, IProbe };
enum KeyColumn { KKey, KValue, KModRevision, KVersion, KLease };

QString formatAge(qint64 ms) {
    const qint64 s = std::max<qint64>(0, ms) / 1000;
    if (s < 60)
        return u"%1 s"_s.arg(s);
    if (s < 3600)
        return u"%1 m %2 s"_s.arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return u"%1 h %2 m"_s.arg(s / 3600).arg((s / 60) % 60, 2, 10, QLatin1Char('0'));
}

// The age of the last renew now: what the server told, plus the time since it told it.
qint64 renewAgeNow(const InstanceRecord& r) {
    if (r.renewTimestampNs <= 0)
        return -1;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (r.observedAtMs > 0 && r.renewAgeMs >= 0)
        return r.renewAgeMs + std::max<qint64>(0, now - r.observedAtMs);
    return std::max<qint64>(0, now - r.renewTimestampNs / 1'000'000);
}

QVariant entryCell(const EntryRecord& e, int column, int role) {
    const bool deprecated = e.deprecated || !e.aliasOf.isEmpty();
    if (role == StateRole || role == RowStateRole)
        return deprecated ? QVariant(int(ItemState::Deprecated)) : QVariant();
    if (role != Qt::DisplayRole && role != AllSourcesModel::SortRole && role != Qt::ToolTipRole)
        return {};
    switch (column) {
    case ERegistry:
        return e.registry;
    case ETenant:
        return e.tenant.isEmpty() ? u"(global)"_s : e.tenant;
    case EName:
        return e.name;
    case EVersion:
        return e.aliasOf.isEmpty() ? e.version : u"→ "_s % e.aliasOf;
    case EType:
        return e.type;
    case EState:
        if (role == Qt::ToolTipRole && e.deprecated)
            return e.deprecationMessage;
        return e.deprecated ? u"deprecated"_s : !e.aliasOf.isEmpty() ? u"alias"_s : u"active"_s;
    case EOrigin:
        return e.origin;
    }
    return {};
}

QVariant probeCell(const ProbeEvent* p, int role) {
    if (role == StateRole) {
        if (!p)
            return {};
        return int(p->state == ProbeState::Up ? ItemState::Healthy : ItemState::Down);
    }
    if (role == Qt::ToolTipRole)
        return p ? QVariant(p->addr % u": "_s % p->detail) : QVariant();
    if (!p)
        return role == AllSourcesModel::SortRole ? QVariant(-1) : QVariant();
    if (role == AllSourcesModel::SortRole)
        return int(p->state);
    return p->state == ProbeState::Up || p->state == ProbeState::Unhealthy
               ? u"%1 (%2 ms)"_s.arg(toString(p->state)).arg(p->latencyMs, 0, 'f', 1)
               : toString(p->state);
}

QVariant instanceCell(const InstanceRecord& r, const Store& store, int column, int role) {
    const bool stale = r.staleness == Staleness::Stale;
    if (role == RowStateRole)
        return stale ? QVariant(int(ItemState::Stale)) : QVariant();
    if (column == IProbe)
        return probeCell(store.probeSummary(recordId(r)), role);
    if (role == StateRole) {
        if (column == IStale && stale)
            return int(ItemState::Stale);
        if (column == IStatus && r.status != 1)
            return int(ItemState::Warning);
        return {};
    }
    const bool sort = role == AllSourcesModel::SortRole;
    if (role != Qt::DisplayRole && !sort && role != Qt::ToolTipRole)
        return {};
    switch (column) {
    case IApp:
        return r.appid;
    case IHost:
        return r.hostname;
    case IZone:
        return r.zone;
    case IEnv:
        return r.env;
    case IAddrs:
        return r.addrs.join(u", "_s);
    case IVersion:
        return r.version;
    case IStatus:
        return sort ? QVariant(r.status) : r.status == 1 ? u"UP"_s : u"WAITING"_s;
    case IRenew: {
        const qint64 age = renewAgeNow(r);
        if (sort)
            return age;
        return age < 0 ? u"—"_s : formatAge(age);
    }
    case IStale:
        return r.staleness == Staleness::Stale   ? u"stale"_s
               : r.staleness == Staleness::Fresh ? u"fresh"_s
                                                 : u"—"_s;
    }
    return {};
}

QVariant keyCell(const KeyRecord& k, int column, int role) {
    const bool sort = role == AllSourcesModel::SortRole;
    if (role != Qt::DisplayRole && !sort && role != Qt::ToolTipRole)
        return {};
    switch (column) {
    case KKey:
        return escapeBytes(k.key);
    case KValue: {
        // One line for the cell; the tooltip (and a copy) carries more of it.
        const QString text = escapeBytes(k.value.left(role == Qt::ToolTipRole ? 4096 : 256));
        return role == Qt::ToolTipRole ? text : QString(text).replace(u'\n', u' ');
    }
    case KModRevision:
        return sort ? QVariant(k.modRevision) : QString::number(k.modRevision);
    case KVersion:
        return sort ? QVariant(k.version) : QString::number(k.version);
    case KLease:
        return sort ? QVariant(k.lease) : k.lease ? u"%1"_s.arg(k.lease, 0, 16) : u"—"_s;
    }
    return {};
}

} // namespace

QStringList AllSourcesModel::headers(RecordKind kind) {
    switch (kind) {
    case RecordKind::Entry:
        return {u"Registry"_s, u"Tenant"_s, u"Name"_s,  u"Version"_s,
                u"Type"_s,     u"State"_s,  u"Origin"_s};
    case RecordKind::Instance:
        return {u"App"_s,     u"Hostname"_s, u"Zone"_s,       u"Env"_s,   u"Addresses"_s,
                u"Version"_s, u"Status"_s,   u"Last renew"_s, u"Stale"_s, u"Probe"_s};
    case RecordKind::Key:
        return {u"Key"_s, u"Value"_s, u"Mod revision"_s, u"Version"_s, u"Lease"_s};
    }
    return {};
}

QVariant AllSourcesModel::cell(RecordKind kind, const Record& record, const Store& store,
                               int column, int role) {
    switch (kind) {
    case RecordKind::Entry:
        return entryCell(std::get<EntryRecord>(record), column, role);
    case RecordKind::Instance:
        return instanceCell(std::get<InstanceRecord>(record), store, column, role);
    case RecordKind::Key:
        return keyCell(std::get<KeyRecord>(record), column, role);
    }
    return {};
}

} // namespace regscope
