#pragma once
// The etcd keys table (filter, lease countdown, expiring-soon highlight) over a value viewer,
// with the snapshot's progress bar and cancel button. Knows only EtcdKeysModel.

#include <QWidget>

class QLineEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace regscope {

class EtcdKeysModel;
class EtcdValueView;

class EtcdKeysView : public QWidget {
    Q_OBJECT
public:
    explicit EtcdKeysView(EtcdKeysModel* model, QWidget* parent = nullptr);

    QTableView* table() const { return m_table; }
    EtcdValueView* valueView() const { return m_value; }
    QProgressBar* progressBar() const { return m_progress; }
    void setFilter(const QString& text);

public Q_SLOTS:
    // The store's load progress (EtcdPanel wires it).
    void setSnapshotProgress(qint64 done, qint64 total);

Q_SIGNALS:
    // EtcdPanel passes it to the source's controls.
    void cancelSnapshotRequested();

private:
    void showCurrent();

    EtcdKeysModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QLineEdit* m_filter;
    QTableView* m_table;
    EtcdValueView* m_value;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
};

} // namespace regscope
