#pragma once
// Metric history kept the way time-series stores keep it: numeric samples against interned
// series (name + labels stored once), 1 s resolution for the last hour, then downsampled
// (10 s buckets for a day, 1 min buckets for a week), all under one memory budget. Counters
// stay cumulative, so a downsampled bucket keeps its last reading and rates stay right.

#include "models/SourceEvent.h"

#include <QHash>

#include <deque>
#include <vector>

namespace regscope {

class MetricHistory {
public:
    struct Tier {
        // One sample per bucket of this width (0: every sample). Samples that share a bucket
        // merge: every series either had, the newer reading winning. A source that samples
        // faster than 1 s (discovery does, on every change) costs 1 sample a second.
        qint64 resolutionMs;
        qint64 spanMs; // samples older than this (from the newest) move to the next tier
    };
    struct Options {
        std::vector<Tier> tiers{
            {1000, 3600'000}, {10'000, 24 * 3600'000LL}, {60'000, 7 * 24 * 3600'000LL}};
        qint64 budgetBytes = 48LL << 20; // the store adds the timeline's share (64 MB in all)
        qsizetype maxSeries = 50'000;    // new series past this are counted, not kept
    };

    MetricHistory();
    explicit MetricHistory(Options options);

    // Samples arrive in time order (older or equal timestamps are ignored).
    void append(const MetricsSample& sample);
    void clear();

    bool empty() const { return m_count == 0; }
    qsizetype size() const { return m_count; }
    // The newest sample, exactly as it arrived; nullptr when empty.
    const MetricsSample* latest() const { return m_count ? &m_latest : nullptr; }
    // Every kept sample at or after sinceMs, oldest first, rebuilt from the compact form.
    std::vector<MetricsSample> samples(qint64 sinceMs = 0) const;
    qint64 oldestMs() const;

    qint64 bytes() const { return m_bytes; }
    qint64 budgetBytes() const { return m_options.budgetBytes; }
    qsizetype seriesCount() const { return qsizetype(m_series.size()); }
    quint64 droppedPoints() const { return m_droppedPoints; }
    qsizetype tierSize(int tier) const { return qsizetype(m_tiers[size_t(tier)].size()); }

private:
    struct Point {
        quint32 series;
        double value;
    };
    struct Compact {
        qint64 timestampMs = 0;
        std::vector<Point> points;
    };
    static qint64 costOf(const Compact& c);
    void mergeInto(Compact& bucket, Compact&& newer);
    quint32 seriesOf(const MetricPoint& p, bool* ok);
    void cascade();
    void enforceBudget();

    struct Series {
        QString name;
        QMap<QString, QString> labels;
    };
    Options m_options;
    std::vector<std::deque<Compact>> m_tiers;
    std::vector<Series> m_series;
    QHash<QString, quint32> m_seriesIds;
    MetricsSample m_latest;
    qsizetype m_count = 0;
    qint64 m_bytes = 0;
    quint64 m_droppedPoints = 0;
};

} // namespace regscope
