#pragma once
// What a record panel (Entries, Instances, etcd keys) shows when the window shows all its
// sources: one table of that kind from every source, the Source column first (the panels' own
// source in bold), a filter over every cell, and a line that says how much is listed, still
// being read, or left out past the row bound.

#include <QWidget>

class QAbstractItemModel;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace regscope {

class AllSourcesModel;

// What the merged tables share: sortable rows, the table actions, the state colours; the
// model's own order until a header is clicked. keyColumn as for installTableActions.
void setUpSourcesTable(QTableView* table, QAbstractItemModel* model, int keyColumn);

class AllSourcesView : public QWidget {
    Q_OBJECT
public:
    // what: the panel's records in a sentence ("entries", "instances", "keys").
    AllSourcesView(AllSourcesModel* model, const QString& what, QWidget* parent = nullptr);

    AllSourcesModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }
    QLineEdit* filter() const { return m_filter; }
    QString statusText() const;

private:
    void updateStatus();
    QString emptyText() const;

    AllSourcesModel* m_model;
    QString m_what;
    QSortFilterProxyModel* m_sorted;
    QTableView* m_table;
    QLineEdit* m_filter;
    QLabel* m_status;
    int m_fits = 0; // column fits done: after the first rows, after the first scan
};

} // namespace regscope
