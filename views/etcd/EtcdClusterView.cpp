#include "views/etcd/EtcdClusterView.h"

#include "models/etcd/EtcdClusterModel.h"
#include "models/etcd/EtcdMetricSeries.h"
#include "views/ChartExport.h"
#include "views/TableActions.h"
#include "views/Theme.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <QValueAxis>

using namespace Qt::StringLiterals;

namespace regscope {

EtcdClusterView::EtcdClusterView(EtcdClusterModel* members, EtcdMetricSeries* series,
                                 QWidget* parent)
    : QWidget(parent)
    , m_members(members)
    , m_series(series) {
    auto* layout = new QVBoxLayout(this);
    m_summary = new QLabel(this);
    layout->addWidget(m_summary);
    m_table = new QTableView(this);
    auto* sorted = new QSortFilterProxyModel(m_table);
    sorted->setSourceModel(members);
    m_table->setModel(sorted);
    useStateColours(m_table);
    installTableActions(m_table, 0);
    m_table->setSortingEnabled(true);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);

    auto* chartBox = new QWidget(this);
    auto* chartLayout = new QVBoxLayout(chartBox);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    m_choose = new QComboBox(chartBox);
    for (const auto& c : EtcdMetricSeries::charts())
        m_choose->addItem(c.title, c.metric);
    m_chart = new QChart;
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chartView = new QChartView(m_chart, chartBox);
    m_chartView->setRenderHint(QPainter::Antialiasing);
    installChartExport(m_chartView); // right-click: Save chart as PNG…
    chartLayout->addWidget(m_choose);
    chartLayout->addWidget(m_chartView, 1);

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(chartBox);
    layout->addWidget(split, 1);

    connect(m_choose, &QComboBox::currentIndexChanged, this, &EtcdClusterView::redraw);
    connect(series, &EtcdMetricSeries::updated, this, &EtcdClusterView::redraw);
    auto summarize = [this] {
        const QString leader = QString::number(m_members->leaderId(), 16);
        m_summary->setText(
            u"%1 member(s) · leader %2 · watching through %3"_s.arg(m_members->rowCount())
                .arg(m_members->leaderId() ? leader : u"none"_s,
                     m_members->endpointInUse().isEmpty() ? u"(none)"_s
                                                          : m_members->endpointInUse()));
    };
    connect(members, &QAbstractItemModel::dataChanged, this, summarize);
    connect(members, &QAbstractItemModel::rowsInserted, this, summarize);
    connect(members, &QAbstractItemModel::rowsRemoved, this, summarize);
    summarize();
    redraw();
}

void EtcdClusterView::redraw() {
    const QString metric = m_choose->currentData().toString();
    m_chart->removeAllSeries();
    // removeAxis() hands the axis back to us (removeAllSeries() deletes the series itself).
    for (QAbstractAxis* axis : m_chart->axes()) {
        m_chart->removeAxis(axis);
        delete axis;
    }
    m_chart->setTitle(m_choose->currentText());
    auto* x = new QDateTimeAxis;
    x->setFormat(u"HH:mm:ss"_s);
    auto* y = new QValueAxis;
    m_chart->addAxis(x, Qt::AlignBottom);
    m_chart->addAxis(y, Qt::AlignLeft);
    double minX = 0, maxX = 0, maxY = 1;
    bool first = true;
    for (const QString& member : m_series->members()) {
        const auto points = m_series->series(metric, member);
        if (points.empty())
            continue;
        auto* line = new QLineSeries;
        line->setName(member);
        QList<QPointF> pts;
        pts.reserve(static_cast<qsizetype>(points.size()));
        for (const QPointF& p : points) {
            pts.append(QPointF(p.x() * 1000.0, p.y())); // QDateTimeAxis wants ms
            if (first) {
                minX = maxX = p.x() * 1000.0;
                first = false;
            }
            minX = std::min(minX, p.x() * 1000.0);
            maxX = std::max(maxX, p.x() * 1000.0);
            maxY = std::max(maxY, p.y());
        }
        line->replace(pts);
        m_chart->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
    }
    if (!first) {
        x->setRange(
            QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(minX)),
            QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(std::max(maxX, minX + 1000))));
        y->setRange(0, maxY * 1.1);
    }
}

} // namespace regscope
