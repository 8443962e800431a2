// InstanceModel's probe column (issue 13 §3, opt-in): the Store's verdicts per instance,
// which instances are registered but unreachable (counted per app and in all), and the
// rows told when their verdicts move, in runs, once per flush.

#include "models/ItemRoles.h"
#include "models/Store.h"
#include "models/instances/InstanceModel.h"

#include <QDateTime>

#include <algorithm>
#include <map>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

bool isUnreachable(const ProbeEvent* p) {
    return p && (p->state == ProbeState::Refused || p->state == ProbeState::Timeout);
}

QString latencyText(double ms) {
    return ms < 10 ? u"%1 ms"_s.arg(ms, 0, 'f', 1) : u"%1 ms"_s.arg(qint64(ms + 0.5));
}

} // namespace

const ProbeEvent* InstanceModel::probe(const InstanceRecord& r) const {
    return m_store->probedInstances() == 0 ? nullptr : m_store->probeSummary(recordId(r));
}

const QList<ProbeEvent>* InstanceModel::probes(const InstanceRecord& r) const {
    return m_store->probedInstances() == 0 ? nullptr : m_store->probes(recordId(r));
}

bool InstanceModel::unreachable(const InstanceRecord& r) const {
    return !m_unreachable.isEmpty() && m_unreachable.contains(recordId(r));
}

void InstanceModel::forgetUnreachable(const QString& id) {
    const auto it = m_unreachable.constFind(id);
    if (it == m_unreachable.cend())
        return;
    if (--m_unreachableByApp[*it] <= 0)
        m_unreachableByApp.remove(*it);
    m_unreachable.erase(it);
}

void InstanceModel::onProbesChanged(const QStringList& ids) {
    std::map<App*, std::vector<int>> rowsByApp;
    for (const QString& id : ids) {
        const bool now = isUnreachable(m_store->probeSummary(id));
        const QString appid = m_appOfId.value(id);
        if (now != m_unreachable.contains(id)) {
            if (!now)
                forgetUnreachable(id);
            else if (!appid.isEmpty()) { // a row we hold (not one still to come in a chunk)
                m_unreachable.insert(id, appid);
                ++m_unreachableByApp[appid];
            }
        }
        App* app = appid.isEmpty() ? nullptr : m_appByName.value(appid);
        if (!app)
            continue;
        if (const auto row = app->rowOf.constFind(id); row != app->rowOf.cend())
            rowsByApp[app].push_back(*row);
    }
    const QList<int> roles{Qt::DisplayRole, Qt::ToolTipRole,    StateRole,
                           ProbeStateRole,  ProbeLatencyMsRole, UnreachableRole};
    std::vector<App*> touched;
    for (auto& [app, rows] : rowsByApp) {
        std::sort(rows.begin(), rows.end());
        const QModelIndex parent = appIndex(*app);
        // Runs of consecutive rows, each told once.
        for (size_t i = 0; i < rows.size();) {
            size_t j = i;
            while (j + 1 < rows.size() && rows[j + 1] <= rows[j] + 1)
                ++j;
            Q_EMIT dataChanged(index(rows[i], ProbeColumn, parent),
                               index(rows[j], ProbeColumn, parent), roles);
            i = j + 1;
        }
        Q_EMIT dataChanged(appIndex(*app, ProbeColumn), appIndex(*app, ProbeColumn), roles);
        touched.push_back(app);
    }
    if (m_sortColumn == ProbeColumn && !touched.empty())
        resort(touched, false);
}

QVariant InstanceModel::probeText(const InstanceRecord& r) const {
    const ProbeEvent* p = probe(r);
    if (!p)
        return QString();
    const QString word = toString(p->state);
    switch (p->state) {
    case ProbeState::Up:
    case ProbeState::Unhealthy:
        return u"%1 %2"_s.arg(word, latencyText(p->latencyMs));
    case ProbeState::Refused:
    case ProbeState::Timeout:
        return word;
    }
    return word;
}

QVariant InstanceModel::probeToolTip(const InstanceRecord& r) const {
    const QList<ProbeEvent>* all = probes(r);
    if (!all || all->isEmpty())
        return u"Not probed (turn on \"Probe registered addresses\")"_s;
    QStringList lines;
    for (const ProbeEvent& p : *all)
        lines.append(u"%1: %2 in %3 at %4 (%5)"_s.arg(
            p.addr, toString(p.state), latencyText(p.latencyMs),
            QDateTime::fromMSecsSinceEpoch(p.atMs).toString(u"hh:mm:ss.zzz"_s), p.detail));
    return lines.join(u'\n');
}

} // namespace regscope
