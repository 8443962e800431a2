#pragma once
// File ▸ Compare with snapshot…: the differences between a snapshot file and the live store,
// one row per added or removed record and per changed field, highlighted by state (added,
// removed, changed: views/Theme). The file is read and the diff computed off the GUI thread;
// only the records are copied on it. Refresh compares again with the store as it is now.

#include "models/SnapshotDiff.h"

#include <QDialog>
#include <QFutureWatcher>

class QLabel;
class QPushButton;
class QTableView;

namespace regscope {

class SnapshotDiffModel;
class Store;

class SnapshotCompareDialog : public QDialog {
    Q_OBJECT
public:
    SnapshotCompareDialog(Store* store, QString liveUrl, QString snapshotPath,
                          QWidget* parent = nullptr);
    ~SnapshotCompareDialog() override;

    void refresh();
    SnapshotDiffModel* model() const { return m_model; }
    QString summaryText() const;
    bool busy() const { return m_watcher.isRunning(); }

Q_SIGNALS:
    void compared(); // after each comparison (or its error)

protected:
    void changeEvent(QEvent* event) override;

private:
    struct Result {
        QString error;
        QString snapshotLabel; // "snapshot of SOURCE taken at TIME"
        SnapshotDiff diff;
    };
    void showResult(Result result);
    void showSummary();

    Store* m_store;
    QString m_liveUrl;
    QString m_path;
    QString m_error; // the last comparison's, empty when it worked
    QLabel* m_title = nullptr;
    QLabel* m_summary = nullptr;
    QTableView* m_table = nullptr;
    QPushButton* m_refresh = nullptr;
    SnapshotDiffModel* m_model = nullptr;
    QFutureWatcher<Result> m_watcher;
};

} // namespace regscope
