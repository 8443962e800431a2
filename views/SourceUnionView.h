#pragma once
// What Lookups, Misses, Deprecations and Timeline show when the window shows all its sources:
// each source's table one after the other, the Source column first (the panels' own source in
// bold), sortable, with a filter over every column. These tables are bounded per source (top
// misses, the latest timeline lines), so a proxy filters them in one go.

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace regscope {

class SourceUnionModel;

class SourceUnionView : public QWidget {
    Q_OBJECT
public:
    // what: the rows in a sentence ("lookup series", "misses", "timeline events").
    SourceUnionView(SourceUnionModel* model, const QString& what, QWidget* parent = nullptr);

    QTableView* table() const { return m_table; }
    QLineEdit* filter() const { return m_filter; }
    QString statusText() const;

private:
    void updateStatus();

    SourceUnionModel* m_model;
    QString m_what;
    QSortFilterProxyModel* m_filtered;
    QTableView* m_table;
    QLineEdit* m_filter;
    QLabel* m_status;
};

} // namespace regscope
