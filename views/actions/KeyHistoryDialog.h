#pragma once
// A key's history as EtcdKeyHistory read it (every revision still in etcd's history, newest
// first) with a line diff between any two revisions.

#include "models/actions/ActionTypes.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QTableWidget;

namespace regscope {

// "- old" / "+ new" / "  same" lines (longest common subsequence). Values of more than
// maxLines lines on either side are not diffed: the result says so.
QStringList lineDiff(const QString& before, const QString& after, int maxLines = 2000);

class KeyHistoryDialog : public QDialog {
    Q_OBJECT
public:
    KeyHistoryDialog(QByteArray key, const ActionResult& history, QWidget* parent = nullptr);

    QTableWidget* table() const { return m_table; }
    // Diff the revisions at these rows (0 = newest).
    void compare(int olderRow, int newerRow);
    QPlainTextEdit* diffView() const { return m_diff; }

private:
    QByteArray m_key;
    std::vector<KeyRecord> m_history;
    QTableWidget* m_table;
    QComboBox* m_from;
    QComboBox* m_to;
    QPlainTextEdit* m_diff;
};

} // namespace regscope
