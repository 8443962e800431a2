#pragma once
// The cluster panel: members table (leader in bold, unreachable in red) and a chart of one of
// etcd's own /metrics, one line per member.

#include <QWidget>

class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QTableView;

namespace regscope {

class EtcdClusterModel;
class EtcdMetricSeries;

class EtcdClusterView : public QWidget {
    Q_OBJECT
public:
    EtcdClusterView(EtcdClusterModel* members, EtcdMetricSeries* series, QWidget* parent = nullptr);

    QTableView* table() const { return m_table; }
    QComboBox* chartChooser() const { return m_choose; }
    QChart* chart() const { return m_chart; }

private:
    void redraw();

    EtcdClusterModel* m_members;
    EtcdMetricSeries* m_series;
    QTableView* m_table;
    QLabel* m_summary;
    QComboBox* m_choose;
    QChart* m_chart;
    QChartView* m_chartView;
};

} // namespace regscope
