#pragma once
// The table panels: Lookups (per-name metrics), Misses (with "did you mean" and the miss-rate
// alert line), Deprecations (with "safe to remove") and Timeline.

#include <QWidget>

class QLabel;
class QTableView;
class QSortFilterProxyModel;
class QSpinBox;
class QComboBox;

namespace regscope {

class Store;
class LookupMetricsModel;
class MissesModel;
class DeprecationsModel;
class TimelineModel;

class LookupsPanel : public QWidget {
    Q_OBJECT
public:
    explicit LookupsPanel(Store* store, QWidget* parent = nullptr);
    LookupMetricsModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }

private:
    LookupMetricsModel* m_model;
    QTableView* m_view;
};

class MissesPanel : public QWidget {
    Q_OBJECT
public:
    explicit MissesPanel(Store* store, QWidget* parent = nullptr);
    MissesModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    QLabel* alertLine() const { return m_alert; }

private:
    void updateAlert();

    MissesModel* m_model;
    QTableView* m_view;
    QLabel* m_alert;
    QSpinBox* m_threshold;
};

class DeprecationsPanel : public QWidget {
    Q_OBJECT
public:
    explicit DeprecationsPanel(Store* store, QWidget* parent = nullptr);
    DeprecationsModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }

private:
    DeprecationsModel* m_model;
    QTableView* m_view;
};

class TimelinePanel : public QWidget {
    Q_OBJECT
public:
    explicit TimelinePanel(Store* store, QWidget* parent = nullptr);
    TimelineModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }

private:
    TimelineModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QTableView* m_view;
};

} // namespace regscope
