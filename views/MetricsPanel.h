#pragma once
// Metrics: lookups/s by outcome, p50/p99 lookup latency (µs) and the entry count over time, one
// point per sample (1 s), at least an hour kept. Follows the newest minutes unless paused;
// drag to zoom a time range, Reset to follow again.

#include "models/LookupRates.h"

#include <QWidget>

#include <optional>

class QChart;
class QChartView;
class QLineSeries;
class QDateTimeAxis;
class QValueAxis;
class QPushButton;
class QComboBox;
class QLabel;

namespace regscope {

class Store;

class MetricsPanel : public QWidget {
    Q_OBJECT
public:
    explicit MetricsPanel(Store* store, QWidget* parent = nullptr);

    static constexpr qsizetype kMaxPoints = 4 * 3600; // 4 h at 1 s

    QLineSeries* hitSeries() const { return m_hits; }
    QLineSeries* missSeries() const { return m_misses; }
    QLineSeries* errorSeries() const { return m_errors; }
    QLineSeries* p50Series() const { return m_p50; }
    QLineSeries* p99Series() const { return m_p99; }
    QLineSeries* entriesSeries() const { return m_entries; }
    bool paused() const { return m_paused; }
    void setPaused(bool paused);
    void setWindowSeconds(int seconds);

    void addSample(const MetricsSample& sample);

protected:
    void changeEvent(QEvent* event) override;

private:
    void applyTheme();
    struct Chart {
        QChart* chart;
        QChartView* view;
        QDateTimeAxis* x;
        QValueAxis* y;
        bool integral = false; // counts: ticks are whole numbers
    };
    Chart makeChart(const QString& title, const QString& unit, const QString& labelFormat);
    void append(QLineSeries* series, qint64 ms, double value);
    void rescale();

    QLineSeries* m_hits;
    QLineSeries* m_misses;
    QLineSeries* m_errors;
    QLineSeries* m_p50;
    QLineSeries* m_p99;
    QLineSeries* m_entries;
    void clearSeries();
    void refreshNote();
    std::vector<Chart> m_charts;
    QPushButton* m_pause;
    QComboBox* m_window;
    QLabel* m_span = nullptr;
    QLabel* m_note = nullptr; // why the charts are flat on a source without a registry
    Store* m_store = nullptr;
    std::optional<MetricsSample> m_previous;
    qint64 m_lastMs = 0;
    int m_windowSeconds = 300;
    bool m_paused = false;
};

} // namespace regscope
