#include "models/etcd/EtcdMetricSeries.h"

#include "models/Store.h"

#include <QThread>

using namespace Qt::StringLiterals;

namespace regscope {

EtcdMetricSeries::EtcdMetricSeries(qsizetype maxPoints, QObject* parent)
    : QObject(parent)
    , m_max(maxPoints) {}

const QList<EtcdMetricSeries::Chart>& EtcdMetricSeries::charts() {
    static const QList<Chart> list{
        {u"Proposals committed /s"_s, u"etcd_server_proposals_committed_total"_s, true},
        {u"Proposals applied /s"_s, u"etcd_server_proposals_applied_total"_s, true},
        {u"Proposals pending"_s, u"etcd_server_proposals_pending"_s, false},
        {u"Watch streams"_s, u"etcd_debugging_mvcc_watch_stream_total"_s, false},
        {u"Watchers"_s, u"etcd_debugging_mvcc_watcher_total"_s, false},
        {u"Leases granted /s"_s, u"etcd_debugging_lease_granted_total"_s, true},
        {u"Leases revoked /s"_s, u"etcd_debugging_lease_revoked_total"_s, true},
        {u"DB size (bytes)"_s, u"etcd_mvcc_db_total_size_in_bytes"_s, false},
        {u"DB in use (bytes)"_s, u"etcd_mvcc_db_total_size_in_use_in_bytes"_s, false},
    };
    return list;
}

void EtcdMetricSeries::setStore(const Store* store) {
    connect(store, &Store::metricsSampled, this, &EtcdMetricSeries::addSample);
    connect(store, &Store::cleared, this, &EtcdMetricSeries::clear);
}

void EtcdMetricSeries::clear() {
    m_series.clear();
    m_members.clear();
    m_resets = 0;
    Q_EMIT updated();
}

void EtcdMetricSeries::addSample(const MetricsSample& sample) {
    Q_ASSERT(QThread::currentThread() == thread());
    bool any = false;
    const double t = static_cast<double>(sample.timestampMs) / 1000.0;
    for (const MetricPoint& p : sample.points) {
        if (!p.name.startsWith(u"etcd_"))
            continue;
        const QString member = p.labels.value(u"member"_s);
        if (!m_members.contains(member))
            m_members.append(member);
        bool rate = p.name.endsWith(u"_total") && !p.name.contains(u"watch");
        Series& s = m_series[p.name + u'\n' + member];
        if (rate) {
            if (s.hasLast && t > s.lastT) {
                double delta = p.value - s.lastRaw;
                if (delta < 0) { // the member restarted: its counter began again at zero
                    delta = p.value;
                    ++m_resets;
                }
                s.points.emplace_back(t, delta / (t - s.lastT));
            }
        } else {
            s.points.emplace_back(t, p.value);
        }
        s.lastRaw = p.value;
        s.lastT = t;
        s.hasLast = true;
        while (static_cast<qsizetype>(s.points.size()) > m_max)
            s.points.pop_front();
        any = true;
    }
    if (any)
        Q_EMIT updated();
}

std::deque<QPointF> EtcdMetricSeries::series(const QString& metric, const QString& member) const {
    return m_series.value(metric + u'\n' + member).points;
}

QStringList EtcdMetricSeries::members() const {
    return m_members;
}

} // namespace regscope
