#pragma once
// Time travel: pick a revision (slider + field, bounded below by the compaction floor), see
// the registry as it was, and diff two revisions. Talks only to EtcdTimeTravel.

#include <QWidget>

class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableView;

namespace regscope {

class EtcdTimeTravel;

class EtcdTimeTravelView : public QWidget {
    Q_OBJECT
public:
    explicit EtcdTimeTravelView(EtcdTimeTravel* travel, QWidget* parent = nullptr);

    QSpinBox* revisionField() const { return m_revision; }
    QSpinBox* diffFromField() const { return m_from; }
    QSpinBox* diffToField() const { return m_to; }
    QPushButton* showButton() const { return m_show; }
    QPushButton* diffButton() const { return m_diff; }
    QTableView* stateTable() const { return m_stateTable; }
    QTableView* diffTable() const { return m_diffTable; }

private:
    void setBounds(qint64 floor, qint64 current);

    EtcdTimeTravel* m_travel;
    QLabel* m_bounds;
    QLabel* m_status;
    QSlider* m_slider;
    QSpinBox* m_revision;
    QSpinBox* m_from;
    QSpinBox* m_to;
    QPushButton* m_show;
    QPushButton* m_diff;
    QPushButton* m_refresh;
    QTableView* m_stateTable;
    QTableView* m_diffTable;
};

} // namespace regscope
