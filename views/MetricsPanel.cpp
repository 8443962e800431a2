#include "views/MetricsPanel.h"

#include "models/Store.h"

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
#include <QPushButton>
#include <QVBoxLayout>
#include <QValueAxis>

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
        QChartView::mouseReleaseEvent(event);
        m_onZoom();
    }

private:
    std::function<void()> m_onZoom;
};

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
    : QWidget(parent) {
    m_hits = series(u"hits/s"_s, QColor(0x2e, 0x9e, 0x44));
    m_misses = series(u"misses/s"_s, QColor(0xe0, 0x7b, 0x00));
    m_errors = series(u"errors/s"_s, QColor(0xd0, 0x30, 0x30));
    m_p50 = series(u"p50"_s, QColor(0x2f, 0x65, 0xca));
    m_p99 = series(u"p99"_s, QColor(0x8e, 0x44, 0xad));
    m_entries = series(u"entries"_s, QColor(0x16, 0x8a, 0x8a));

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
    bar->addWidget(new QLabel(u"Show the last"_s, this));
    bar->addWidget(m_window);
    bar->addWidget(m_pause);
    bar->addWidget(reset);
    bar->addStretch(1);
    bar->addWidget(new QLabel(u"drag across a chart to zoom"_s, this));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addLayout(bar);
    const Chart lookups = makeChart(u"Lookups per second"_s, u"lookups/s"_s, u"%.0f"_s);
    const Chart latency = makeChart(u"Lookup latency (sampled)"_s, u"µs"_s, u"%.2f"_s);
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
    rescale();
}

void MetricsPanel::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyTheme();
}

// The charts follow the application's light/dark palette; a chart theme resets series pens,
// so they are put back afterwards.
void MetricsPanel::applyTheme() {
    const bool dark = palette().color(QPalette::Window).lightness() < 128;
    const auto theme = dark ? QChart::ChartThemeDark : QChart::ChartThemeLight;
    for (const Chart& c : m_charts) {
        if (c.chart->theme() == theme && c.chart->property("themed").toBool())
            continue;
        std::vector<QPen> pens;
        for (QAbstractSeries* s : c.chart->series())
            pens.push_back(static_cast<QLineSeries*>(s)->pen());
        c.chart->setTheme(theme);
        c.chart->setProperty("themed", true);
        size_t i = 0;
        for (QAbstractSeries* s : c.chart->series())
            static_cast<QLineSeries*>(s)->setPen(pens[i++]);
        c.chart->setBackgroundBrush(palette().color(QPalette::Base));
        c.chart->setTitleBrush(palette().color(QPalette::Text));
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
    view->setMinimumHeight(140);
    Chart c{chart, view, x, y};
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
    for (const Chart& c : m_charts) {
        c.chart->zoomReset();
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
        c.y->setRange(0, top > 0 ? top * 1.15 : 1);
        c.y->applyNiceNumbers();
    }
}

} // namespace regscope
