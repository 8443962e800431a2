// InstanceModel's cells: verdicts, ages and eviction projections derived when asked for,
// text, and item states (models/ItemRoles.h) that views colour per theme.

#include "models/ItemRoles.h"
#include "models/Store.h"
#include "models/instances/InstanceModel.h"

#include <QDateTime>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QString formatAge(qint64 ms) {
    if (ms < 0)
        ms = 0;
    const qint64 s = ms / 1000;
    if (s < 60)
        return ms < 10'000 ? u"%1 s"_s.arg(double(ms) / 1000.0, 0, 'f', 1) : u"%1 s"_s.arg(s);
    if (s < 3600)
        return u"%1 m %2 s"_s.arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return u"%1 h %2 m"_s.arg(s / 3600).arg((s / 60) % 60, 2, 10, QLatin1Char('0'));
}

QString formatTime(qint64 ms) {
    return QDateTime::fromMSecsSinceEpoch(ms).toString(u"yyyy-MM-dd hh:mm:ss"_s);
}

// Discovery instances carry their last renew; an instance from an etcd service layout has
// none (a lease keeps it, or nothing does).
bool renewTracked(const InstanceRecord& r) {
    return r.renewTimestampNs > 0;
}

QVariant state(ItemState s) {
    return s == ItemState::Normal ? QVariant() : QVariant(int(s));
}

} // namespace

InstanceModel::Verdict InstanceModel::verdict(const InstanceRecord& r) const {
    if (!renewTracked(r))
        return Verdict::NotTracked;
    if (dataTooOld())
        return Verdict::Unknown;
    switch (r.staleness) {
    case Staleness::Fresh:
        return Verdict::Fresh;
    case Staleness::Stale:
        return Verdict::Stale;
    case Staleness::Unknown:
        break;
    }
    return Verdict::Unknown;
}

qint64 InstanceModel::renewAgeMs(const InstanceRecord& r) const {
    if (!renewTracked(r))
        return -1;
    // The age the server told, plus the time since it told it. When our data has grown too
    // old the count stops at its last update: we do not know what happened since.
    const qint64 until = dataTooOld() ? m_asOfMs : now();
    if (r.observedAtMs > 0 && r.renewAgeMs >= 0)
        return r.renewAgeMs + std::max<qint64>(0, until - r.observedAtMs);
    return std::max<qint64>(0, until - r.renewTimestampNs / 1'000'000);
}

qint64 InstanceModel::projectedEvictionMs(const InstanceRecord& r) const {
    // Only an instance that stopped renewing is going to be evicted: eligible once older than
    // the threshold (the ceiling while self-protection holds), gone at the first pass after.
    if (verdict(r) != Verdict::Stale)
        return 0;
    const qint64 renewMs = r.observedAtMs > 0 && r.renewAgeMs >= 0 ? r.observedAtMs - r.renewAgeMs
                                                                   : r.renewTimestampNs / 1'000'000;
    const qint64 eligible =
        renewMs + (m_timing.selfProtection ? m_timing.evictCeilingMs : m_timing.evictThresholdMs);
    const qint64 next = m_timing.nextEvictionPassMs;
    const qint64 interval = std::max<qint64>(1, m_timing.evictIntervalMs);
    if (next <= 0)
        return eligible;
    if (eligible < next)
        return next;
    return next + ((eligible - next) / interval + 1) * interval;
}

qint64 InstanceModel::leaseRemainingS(const InstanceRecord& r) const {
    if (r.leaseId == 0)
        return -1;
    const auto it = m_store->leases().constFind(r.leaseId);
    if (it == m_store->leases().cend() || it->ttl < 0)
        return -1;
    const qint64 elapsedS = std::max<qint64>(0, now() - it->fetchedAtMs) / 1000;
    return std::max<qint64>(0, it->ttl - elapsedS);
}

QVariant InstanceModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const QStringList titles{
        u"App / hostname"_s, u"Zone"_s,       u"Env"_s,   u"Addrs"_s,    u"Version"_s, u"Status"_s,
        u"Registered"_s,     u"Last renew"_s, u"Stale"_s, u"Eviction"_s, u"Probe"_s};
    return titles.value(section);
}

QVariant InstanceModel::appData(const App& app, int column, int role) const {
    const int stale = dataTooOld() ? 0 : app.stale;
    switch (role) {
    case IsAppRole:
        return true;
    case AppIdRole:
        return app.appid;
    case StaleRole:
        return stale > 0;
    case InstanceCountRole:
        return int(app.rows.size());
    case UnreachableRole:
        return m_unreachableByApp.value(app.appid) > 0;
    case StateRole:
        if (column == ProbeColumn && m_unreachableByApp.value(app.appid) > 0)
            return state(ItemState::Down);
        return column == StaleColumn && stale > 0 ? state(ItemState::Stale) : QVariant();
    case Qt::DisplayRole:
        switch (column) {
        case NameColumn:
            return u"%1 (%2)"_s.arg(app.appid).arg(app.rows.size());
        case StatusColumn:
            return u"%1 up / %2 waiting"_s.arg(app.up).arg(int(app.rows.size()) - app.up);
        case StaleColumn:
            if (dataTooOld())
                return u"unknown"_s;
            return stale > 0 ? u"%1 stale"_s.arg(stale) : QString();
        case ProbeColumn:
            if (const int n = m_unreachableByApp.value(app.appid); n > 0)
                return u"%1 unreachable"_s.arg(n);
            return QString();
        default:
            return {};
        }
    default:
        return {};
    }
}

QVariant InstanceModel::instanceState(const InstanceRecord& r, int column, bool row) const {
    if (column == ProbeColumn && !row) {
        const ProbeEvent* p = probe(r);
        if (!p)
            return {};
        switch (p->state) {
        case ProbeState::Up:
            return state(ItemState::Healthy);
        case ProbeState::Unhealthy:
            return state(ItemState::Warning);
        case ProbeState::Refused:
        case ProbeState::Timeout:
            return state(ItemState::Down);
        }
        return {};
    }
    const Verdict v = verdict(r);
    if (row)
        return v == Verdict::Stale ? state(ItemState::Stale) : QVariant();
    if (v == Verdict::Stale && (column == StaleColumn || column == RenewAgeColumn))
        return state(ItemState::Stale);
    if (v == Verdict::Stale && column == EvictionColumn)
        return state(ItemState::Expiring);
    if (v == Verdict::NotTracked && column == EvictionColumn && leaseRemainingS(r) >= 0)
        return state(ItemState::Expiring);
    if (v == Verdict::Unknown && (column == StaleColumn || column == RenewAgeColumn))
        return state(ItemState::Unknown);
    if (column == StatusColumn && r.status != 1)
        return state(ItemState::Warning);
    return {};
}

QVariant InstanceModel::instanceText(const InstanceRecord& r, int column) const {
    switch (column) {
    case NameColumn:
        return r.hostname;
    case ZoneColumn:
        return r.zone;
    case EnvColumn:
        return r.env;
    case AddrsColumn:
        return r.addrs.join(u", "_s);
    case VersionColumn:
        return r.version;
    case StatusColumn:
        return r.status == 1 ? u"UP"_s : r.status == 2 ? u"WAITING"_s : QString::number(r.status);
    case RegisteredColumn:
        return r.regTimestampNs > 0 ? formatTime(r.regTimestampNs / 1'000'000) : u"—"_s;
    case RenewAgeColumn:
        if (renewTracked(r))
            return formatAge(renewAgeMs(r));
        if (r.leaseId == 0)
            return u"—"_s;
        if (const auto it = m_store->leases().constFind(r.leaseId);
            it != m_store->leases().cend() && it->grantedTtl > 0)
            return u"lease %1 (TTL %2 s)"_s.arg(r.leaseId, 0, 16).arg(it->grantedTtl);
        return u"lease %1"_s.arg(r.leaseId, 0, 16);
    case StaleColumn:
        switch (verdict(r)) {
        case Verdict::Stale:
            return u"STALE"_s;
        case Verdict::Unknown:
            return dataTooOld() ? u"unknown (data %1 old)"_s.arg(formatAge(dataAgeMs()))
                                : u"unknown"_s;
        case Verdict::Fresh:
        case Verdict::NotTracked:
            return QString();
        }
        return {};
    case EvictionColumn: {
        if (!renewTracked(r)) {
            if (r.leaseId == 0)
                return QString(); // no lease: it stays until someone deletes it
            const qint64 left = leaseRemainingS(r);
            if (left < 0)
                return u"when lease %1 expires"_s.arg(r.leaseId, 0, 16);
            return u"lease expires in %1"_s.arg(formatAge(left * 1000));
        }
        const qint64 at = projectedEvictionMs(r);
        if (at <= 0)
            return QString(); // healthy (or unknown): nothing is going to evict it
        const qint64 in = at - now();
        const QString when = QDateTime::fromMSecsSinceEpoch(at).toString(u"hh:mm:ss"_s);
        if (in <= 0)
            return m_timing.selfProtection ? u"held (self-protection)"_s
                                           : u"due now (%1)"_s.arg(when);
        return u"%1 (in %2)"_s.arg(when, formatAge(in));
    }
    case ProbeColumn:
        return probeText(r);
    default:
        return {};
    }
}

QVariant InstanceModel::instanceData(const InstanceRecord& r, int column, int role) const {
    switch (role) {
    case Qt::DisplayRole:
        return instanceText(r, column);
    case IsAppRole:
        return false;
    case AppIdRole:
        return r.appid;
    case ZoneRole:
        return r.zone;
    case StatusRole:
        return r.status;
    case StaleRole:
        return verdict(r) == Verdict::Stale;
    case VerdictRole:
        return int(verdict(r));
    case RecordIdRole:
        return recordId(r);
    case RenewAgeMsRole:
        return renewAgeMs(r);
    case ProjectedEvictionMsRole:
        return projectedEvictionMs(r);
    case ProbeStateRole: {
        const ProbeEvent* p = probe(r);
        return p ? int(p->state) : -1;
    }
    case ProbeLatencyMsRole: {
        const ProbeEvent* p = probe(r);
        return p ? p->latencyMs : -1.0;
    }
    case UnreachableRole:
        return unreachable(r);
    case StateRole:
        return instanceState(r, column, false);
    case RowStateRole:
        return instanceState(r, column, true);
    case Qt::ToolTipRole:
        if (column == ProbeColumn)
            return probeToolTip(r);
        if (!renewTracked(r) && (column == RenewAgeColumn || column == EvictionColumn))
            return r.leaseId != 0
                       ? u"Kept alive by etcd lease %1, not by renews: it goes when the lease "
                         u"expires"_s.arg(r.leaseId, 0, 16)
                       : u"An etcd key without a lease: it stays until someone deletes it"_s;
        if (column == EvictionColumn)
            return m_timing.selfProtection
                       ? u"Self-protection is on: only instances older than %1 go"_s.arg(
                             formatAge(m_timing.evictCeilingMs))
                       : u"Evicted by the first pass after %1 without a renew"_s.arg(
                             formatAge(m_timing.evictThresholdMs));
        if (column == StaleColumn)
            return u"Stale: the server's last renew was more than 2 x the renew interval (%1) "
                   u"old when it answered"_s.arg(formatAge(m_timing.renewIntervalMs));
        return {};
    default:
        return {};
    }
}

} // namespace regscope
