#pragma once
// Time series of etcd's own /metrics per member, for the cluster charts. Counters become rates
// (per second); a counter that goes down means the member restarted and reset it: the new
// value is counted from zero instead of producing a negative rate. Bounded history.

#include "models/SourceEvent.h"

#include <QHash>
#include <QObject>
#include <QPointF>
#include <QStringList>

#include <deque>

namespace regscope {

class Store;

class EtcdMetricSeries : public QObject {
    Q_OBJECT
public:
    explicit EtcdMetricSeries(qsizetype maxPoints = 900, QObject* parent = nullptr);

    // The charts offered: a name, the etcd metric(s) behind it, and whether it is a rate.
    struct Chart {
        QString title;
        QString metric;
        bool rate = false;
    };
    static const QList<Chart>& charts();

    // x = seconds since epoch, y = value or rate.
    std::deque<QPointF> series(const QString& metric, const QString& member) const;
    QStringList members() const;
    qint64 resetsSeen() const { return m_resets; }

    // Follows the store's samples; forgets everything when the store is cleared.
    void setStore(const Store* store);

public Q_SLOTS:
    void addSample(const regscope::MetricsSample& sample);
    void clear();

Q_SIGNALS:
    void updated();

private:
    struct Series {
        double lastRaw = 0;
        double lastT = 0;
        bool hasLast = false;
        std::deque<QPointF> points;
    };
    qsizetype m_max;
    QHash<QString, Series> m_series; // key: metric + '\n' + member
    QStringList m_members;
    qint64 m_resets = 0;
};

} // namespace regscope
