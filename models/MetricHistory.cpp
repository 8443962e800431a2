#include "models/MetricHistory.h"

#include <QStringBuilder>

#include <algorithm>

namespace regscope {

namespace {
constexpr qint64 kSampleOverhead = 64; // deque slot + vector header + allocator slack
constexpr qint64 kSeriesOverhead = 96;

QString keyOf(const MetricPoint& p) {
    QString key = p.name;
    for (auto it = p.labels.cbegin(); it != p.labels.cend(); ++it)
        key += u'\x1f' % it.key() % u'=' % it.value();
    return key;
}
} // namespace

MetricHistory::MetricHistory()
    : MetricHistory(Options{}) {}

MetricHistory::MetricHistory(Options options)
    : m_options(std::move(options))
    , m_tiers(m_options.tiers.size()) {}

// `newer` into `bucket`, the sample kept for one bucket of time: every series either saw,
// with the newer reading where both have it (points are sorted by series id). A source that
// sends several kinds of sample in one second (server figures, then an as-of stamp) keeps
// them all; counters keep their last reading.
void MetricHistory::mergeInto(Compact& bucket, Compact&& newer) {
    std::vector<Point> merged;
    merged.reserve(bucket.points.size() + newer.points.size());
    auto a = bucket.points.cbegin();
    auto b = newer.points.cbegin();
    while (a != bucket.points.cend() || b != newer.points.cend()) {
        if (b == newer.points.cend() || (a != bucket.points.cend() && a->series < b->series))
            merged.push_back(*a++);
        else {
            if (a != bucket.points.cend() && a->series == b->series)
                ++a;
            merged.push_back(*b++);
        }
    }
    merged.shrink_to_fit();
    m_bytes -= costOf(bucket);
    bucket.timestampMs = newer.timestampMs;
    bucket.points = std::move(merged);
    m_bytes += costOf(bucket);
}

qint64 MetricHistory::costOf(const Compact& c) {
    return kSampleOverhead + qint64(c.points.capacity() * sizeof(Point));
}

quint32 MetricHistory::seriesOf(const MetricPoint& p, bool* ok) {
    const QString key = keyOf(p);
    if (auto it = m_seriesIds.constFind(key); it != m_seriesIds.cend()) {
        *ok = true;
        return *it;
    }
    if (qsizetype(m_series.size()) >= m_options.maxSeries) {
        *ok = false;
        return 0;
    }
    const auto id = quint32(m_series.size());
    m_series.push_back(Series{p.name, p.labels});
    m_seriesIds.insert(key, id);
    m_bytes += kSeriesOverhead + 2 * qint64(key.size()) * 2;
    *ok = true;
    return id;
}

void MetricHistory::append(const MetricsSample& sample) {
    if (m_count && sample.timestampMs <= m_latest.timestampMs)
        return;
    Compact c;
    c.timestampMs = sample.timestampMs;
    c.points.reserve(sample.points.size());
    for (const MetricPoint& p : sample.points) {
        bool ok = false;
        const quint32 id = seriesOf(p, &ok);
        if (ok)
            c.points.push_back(Point{id, p.value});
        else
            ++m_droppedPoints;
    }
    std::sort(c.points.begin(), c.points.end(),
              [](const Point& x, const Point& y) { return x.series < y.series; });
    auto& first = m_tiers.front();
    const qint64 res = m_options.tiers.empty() ? 0 : m_options.tiers.front().resolutionMs;
    if (res > 0 && !first.empty() && first.back().timestampMs / res == c.timestampMs / res) {
        mergeInto(first.back(), std::move(c)); // a source faster than the resolution
    } else {
        m_bytes += costOf(c);
        first.push_back(std::move(c));
        ++m_count;
    }
    m_latest = sample;
    cascade();
    enforceBudget();
}

// Moves samples past a tier's span into the next tier, one per bucket (the latest wins).
void MetricHistory::cascade() {
    const qint64 newest = m_latest.timestampMs;
    for (size_t t = 0; t < m_tiers.size(); ++t) {
        auto& tier = m_tiers[t];
        const qint64 horizon = newest - m_options.tiers[t].spanMs;
        while (!tier.empty() && tier.front().timestampMs < horizon) {
            Compact c = std::move(tier.front());
            tier.pop_front();
            if (t + 1 >= m_tiers.size()) {
                m_bytes -= costOf(c);
                --m_count;
                continue;
            }
            auto& next = m_tiers[t + 1];
            const qint64 res = std::max<qint64>(1, m_options.tiers[t + 1].resolutionMs);
            if (!next.empty() && next.back().timestampMs / res == c.timestampMs / res) {
                m_bytes -= costOf(c);
                --m_count;
                mergeInto(next.back(), std::move(c)); // same bucket: the newer readings win
            } else {
                next.push_back(std::move(c));
            }
        }
    }
}

// Over budget: the coarsest, oldest samples go first; the newest sample always stays.
void MetricHistory::enforceBudget() {
    for (size_t t = m_tiers.size(); t-- > 0 && m_bytes > m_options.budgetBytes;) {
        auto& tier = m_tiers[t];
        while (!tier.empty() && m_bytes > m_options.budgetBytes && m_count > 1) {
            m_bytes -= costOf(tier.front());
            tier.pop_front();
            --m_count;
        }
    }
}

void MetricHistory::clear() {
    for (auto& t : m_tiers)
        t.clear();
    m_series.clear();
    m_seriesIds.clear();
    m_latest = {};
    m_count = 0;
    m_bytes = 0;
    m_droppedPoints = 0;
}

qint64 MetricHistory::oldestMs() const {
    for (size_t t = m_tiers.size(); t-- > 0;)
        if (!m_tiers[t].empty())
            return m_tiers[t].front().timestampMs;
    return 0;
}

std::vector<MetricsSample> MetricHistory::samples(qint64 sinceMs) const {
    std::vector<MetricsSample> out;
    for (size_t t = m_tiers.size(); t-- > 0;) {
        for (const Compact& c : m_tiers[t]) {
            if (c.timestampMs < sinceMs)
                continue;
            MetricsSample s;
            s.timestampMs = c.timestampMs;
            s.points.reserve(c.points.size());
            for (const Point& p : c.points) {
                const Series& series = m_series[p.series];
                s.points.push_back(MetricPoint{series.name, series.labels, p.value});
            }
            out.push_back(std::move(s));
        }
    }
    return out;
}

} // namespace regscope
