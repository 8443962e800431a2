#include "views/MetricsPanel.h"

#include "models/Store.h"
#include "views/ChartExport.h"
#include "views/Theme.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QMouseEvent>
#include <QPushButton>
#include <QVBoxLayout>
#include <QValueAxis>

#include <cmath>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

// Zoom only in time: dragging selects a time range; the value axis follows the data.
class ZoomingChartView : public QChartView {
public:
    ZoomingChartView(QChart* chart, QWidget* parent, std::function<void()> onZoom)
        : QChartView(chart, parent)
        , m_onZoom(std::move(onZoom)) {
        setRubberBand(QChartView::HorizontalRubberBand);
        setRenderHint(QPainter::Antialiasing);
    }

protected:
    void mouseReleaseEvent(QMouseEvent* event) override {
        if (event->button() == Qt::RightButton) { // the context menu's, not a zoom out
            event->accept();
            return;
        }
        QChartView::mouseReleaseEvent(event);
        m_onZoom();
    }

private:
    std::function<void()> m_onZoom;
};

// A value axis from 0 with round ticks; an integral axis never labels 0.2 as "0", and an
// all-zero chart shows 0 and 1, not "1,1,1,0,0,0".
// intervals: how many tick steps the axis aims for (fewer on a short chart, so labels fit).
void setNiceRange(QValueAxis* y, double top, bool integral, int intervals) {
    if (top <= 0) {
        y->setRange(0, 1);
        y->setTickType(QValueAxis::TicksFixed);
        y->setTickCount(2);
        return;
    }
    const double raw = top * 1.15 / intervals;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        step = m * mag;
        if (step >= raw)
            break;
    }
    if (integral)
        step = std::max(1.0, std::ceil(step));
    const double max = std::ceil(top * 1.15 / step) * step;
    y->setTickType(QValueAxis::TicksDynamic);
    y->setTickAnchor(0);
    y->setTickInterval(step);
    y->setRange(0, max);
}

QLineSeries* series(const QString& name, const QColor& color) {
    auto* s = new QLineSeries;
    s->setName(name);
    QPen pen(color);
    pen.setWidthF(1.6);
    s->setPen(pen);
    return s;
}

} // namespace

MetricsPanel::MetricsPanel(Store* store, QWidget* parent)
    : QWidget(parent)
    , m_store(store) {
    m_hits = series(u"hits/s"_s, theme::series(theme::Series::Hits));
    m_misses = series(u"misses/s"_s, theme::series(theme::Series::Misses));
    m_errors = series(u"errors/s"_s, theme::series(theme::Series::Errors));
    m_p50 = series(u"p50"_s, theme::series(theme::Series::P50));
    m_p99 = series(u"p99"_s, theme::series(theme::Series::P99));
    m_entries = series(u"entries"_s, theme::series(theme::Series::Entries));

    auto* bar = new QHBoxLayout;
    m_pause = new QPushButton(u"Pause"_s, this);
    m_pause->setCheckable(true);
    m_pause->setShortcut(QKeySequence(u"Ctrl+P"_s));
    connect(m_pause, &QPushButton::toggled, this, &MetricsPanel::setPaused);
    auto* reset = new QPushButton(u"Reset zoom"_s, this);
    connect(reset, &QPushButton::clicked, this, [this] {
        setPaused(false);
        rescale();
    });
    m_window = new QComboBox(this);
    const std::pair<const char16_t*, int> windows[] = {
        {u"1 min", 60}, {u"5 min", 300}, {u"15 min", 900}, {u"1 h", 3600}, {u"4 h", 4 * 3600}};
    for (const auto& [label, seconds] : windows)
        m_window->addItem(QString::fromUtf16(label), seconds);
    m_window->setCurrentIndex(1);
    connect(m_window, &QComboBox::currentIndexChanged, this,
            [this](int i) { setWindowSeconds(m_window->itemData(i).toInt()); });
    bar->addWidget(new QLabel(u"Show up to the last"_s, this));
    bar->addWidget(m_window);
    bar->addWidget(m_pause);
    bar->addWidget(reset);
    m_span = new QLabel(this);
    makeShrinkable(m_span);
    bar->addWidget(m_span, 1);
    auto* zoomHint = new QLabel(u"drag across a chart to zoom"_s, this);
    makeShrinkable(zoomHint);
    zoomHint->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    bar->addWidget(zoomHint, 1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    m_note = new QLabel(this);
    m_note->setObjectName(u"metricsNote"_s);
    m_note->setWordWrap(true);
    m_note->hide();
    layout->addWidget(m_note);
    const Chart lookups = makeChart(u"Lookups per second"_s, u"lookups/s"_s, u"%.0f"_s);
    const Chart latency =
        makeChart(u"Lookup latency in µs (sampled; p50/p99 are histogram bucket bounds)"_s, u"µs"_s,
                  u"%.2f"_s);
    const Chart entries = makeChart(u"Entries"_s, u"entries"_s, u"%.0f"_s);
    for (auto* s : {m_hits, m_misses, m_errors}) {
        lookups.chart->addSeries(s);
        s->attachAxis(lookups.x);
        s->attachAxis(lookups.y);
    }
    for (auto* s : {m_p50, m_p99}) {
        latency.chart->addSeries(s);
        s->attachAxis(latency.x);
        s->attachAxis(latency.y);
    }
    entries.chart->addSeries(m_entries);
    m_entries->attachAxis(entries.x);
    m_entries->attachAxis(entries.y);
    layout->addWidget(lookups.view, 2);
    layout->addWidget(latency.view, 1);
    layout->addWidget(entries.view, 1);

    applyTheme();
    for (const MetricsSample& s : store->metricsHistory())
        addSample(s);
    connect(store, &Store::metricsSampled, this, &MetricsPanel::addSample);
    // Another source: the last one's lines must not read as this one's.
    connect(store, &Store::cleared, this, [this] {
        clearSeries();
        refreshNote();
    });
    connect(store, &Store::healthChanged, this, &MetricsPanel::refreshNote);
    rescale();
    refreshNote();
}

void MetricsPanel::clearSeries() {
    for (QLineSeries* s : {m_hits, m_misses, m_errors, m_p50, m_p99, m_entries})
        s->clear();
    m_previous.reset();
    m_lastMs = 0;
    rescale();
}

void MetricsPanel::refreshNote() {
    const bool registry = m_store->count(RecordKind::Entry) > 0;
    const bool live = m_store->health().state == HealthState::Live;
    m_note->setVisible(live && !registry);
    m_note->setText(
        u"These charts count the lookups of an in-process registry (the demo, or a process "
        u"attached with pid://). This source has no registry: its figures are in Instances "
        u"and in etcd ▸ Cluster."_s);
    m_note->setStyleSheet(
        u"QLabel { color: %1; }"_s.arg(theme::text(ItemState::Muted, theme::current()).name()));
}

void MetricsPanel::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyTheme();
}

// The charts follow the application's light/dark palette; a chart theme resets series pens,
// so they are put back afterwards.
void MetricsPanel::applyTheme() {
    const ThemeKind kind =
        palette().color(QPalette::Window).lightness() < 128 ? ThemeKind::Dark : ThemeKind::Light;
    const auto chartTheme =
        kind == ThemeKind::Dark ? QChart::ChartThemeDark : QChart::ChartThemeLight;
    for (const Chart& c : m_charts) {
        if (c.chart->theme() != chartTheme || !c.chart->property("themed").toBool()) {
            c.chart->setTheme(chartTheme);
            c.chart->setProperty("themed", true);
        }
        c.chart->setBackgroundBrush(palette().color(QPalette::Base));
        c.chart->setTitleBrush(palette().color(QPalette::Text));
    }
    // A chart theme resets pens: the series colours come from our theme, per palette.
    const std::pair<QLineSeries*, theme::Series> pens[] = {
        {m_hits, theme::Series::Hits},     {m_misses, theme::Series::Misses},
        {m_errors, theme::Series::Errors}, {m_p50, theme::Series::P50},
        {m_p99, theme::Series::P99},       {m_entries, theme::Series::Entries}};
    for (const auto& [s, which] : pens) {
        QPen pen(theme::series(which, kind));
        pen.setWidthF(1.6);
        s->setPen(pen);
    }
}

MetricsPanel::Chart MetricsPanel::makeChart(const QString& title, const QString& unit,
                                            const QString& labelFormat) {
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignRight);
    chart->setMargins(QMargins(4, 4, 4, 4));
    auto* x = new QDateTimeAxis;
    x->setFormat(u"HH:mm:ss"_s);
    x->setTickCount(7);
    auto* y = new QValueAxis;
    y->setTitleText(unit);
    y->setLabelFormat(labelFormat);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    auto* view = new ZoomingChartView(chart, this, [this] { setPaused(true); });
    installChartExport(view);   // right-click: Save chart as PNG…
    view->setMinimumHeight(90); // three charts still fit a 700×450 window
    Chart c{chart, view, x, y, labelFormat == u"%.0f"};
    m_charts.push_back(c);
    return c;
}

void MetricsPanel::append(QLineSeries* s, qint64 ms, double value) {
    if (s->count() >= kMaxPoints)
        s->removePoints(0, s->count() - kMaxPoints + 1);
    s->append(double(ms), value);
}

void MetricsPanel::addSample(const MetricsSample& sample) {
    if (sample.timestampMs <= m_lastMs)
        return; // out of order or a repeat: the charts are monotonic in time
    const bool hadPrevious = m_previous.has_value();
    const LookupRates r = deriveRates(m_previous ? &*m_previous : nullptr, sample);
    m_previous = sample;
    m_lastMs = sample.timestampMs;
    const qint64 t = sample.timestampMs;
    if (hadPrevious) { // a rate needs two readings
        append(m_hits, t, r.hitsPerSecond);
        append(m_misses, t, r.missesPerSecond);
        append(m_errors, t, r.errorsPerSecond);
    }
    if (r.hasLatency) {
        append(m_p50, t, r.p50Ms * 1000.0);
        append(m_p99, t, r.p99Ms * 1000.0);
    }
    append(m_entries, t, r.entries);
    if (m_note->isHidden() != (m_store->count(RecordKind::Entry) > 0))
        refreshNote();
    if (!m_paused)
        rescale();
}

void MetricsPanel::setPaused(bool paused) {
    m_paused = paused;
    const QSignalBlocker block(m_pause);
    m_pause->setChecked(paused);
    m_pause->setText(paused ? u"Resume"_s : u"Pause"_s);
}

void MetricsPanel::setWindowSeconds(int seconds) {
    m_windowSeconds = seconds;
    if (!m_paused)
        rescale();
}

void MetricsPanel::rescale() {
    const qint64 end = m_lastMs ? m_lastMs : QDateTime::currentMSecsSinceEpoch();
    // Until the history fills the window, the window starts at the first point.
    const qint64 first = m_entries->count() ? qint64(m_entries->at(0).x()) : end;
    const qint64 start =
        std::max(end - qint64(m_windowSeconds) * 1000, std::min(first, end - 1000));
    const qint64 spanS = std::max<qint64>(1, (end - start) / 1000);
    // One label per distinct second at most: a few seconds of data never repeat a label.
    const int ticks = int(std::clamp<qint64>(spanS + 1, 2, 7));
    m_span->setText(spanS < qint64(m_windowSeconds) - 1
                        ? u"· showing %1 s of data so far"_s.arg(spanS)
                        : QString());
    for (const Chart& c : m_charts) {
        c.chart->zoomReset();
        // A small window (700×450) keeps every label whole: fewer ticks, no vertical title.
        const int height = c.view->height();
        const int maxXTicks = std::max(2, c.view->width() / 110);
        c.x->setTickCount(std::min(ticks, maxXTicks));
        c.y->setTitleVisible(height >= 150);
        c.x->setFormat(spanS >= 3 * 3600 ? u"HH:mm"_s : u"HH:mm:ss"_s);
        c.x->setRange(QDateTime::fromMSecsSinceEpoch(start), QDateTime::fromMSecsSinceEpoch(end));
        double top = 0;
        for (QAbstractSeries* a : c.chart->series()) {
            const auto* s = static_cast<QLineSeries*>(a);
            // Points are in time order: walk back from the newest until the window starts.
            for (qsizetype i = s->count() - 1; i >= 0; --i) {
                const QPointF p = s->at(i);
                if (p.x() < double(start))
                    break;
                top = std::max(top, p.y());
            }
        }
        setNiceRange(c.y, top, c.integral, height < 140 ? 2 : 4);
    }
}

} // namespace regscope
