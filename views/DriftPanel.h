#pragma once
// Drift: what the session's sources disagree on. Instances only in one source, and the same
// instance (appid + address) with a different status, version or metadata, with the fields.

#include <QWidget>

class QLabel;
class QTableView;

namespace regscope {

class DriftModel;
class Store;

class DriftPanel : public QWidget {
    Q_OBJECT
public:
    DriftPanel(DriftModel* model, const Store* store, QWidget* parent = nullptr);
    QTableView* view() const { return m_view; }
    QString summary() const; // the line above the table

private:
    void updateSummary();

    DriftModel* m_model;
    QTableView* m_view;
    QLabel* m_summary;
};

} // namespace regscope
