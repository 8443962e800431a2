#pragma once
// Entries: a filter box over names, versions and types; the tenant → name → version tree; a
// detail pane with everything known about the selection, and "copy as JSON".

#include <QWidget>

class QLineEdit;
class QTextBrowser;
class QTreeView;
class QPushButton;

namespace regscope {

class Store;
class EntriesModel;
class EntriesFilterProxy;

class EntriesPanel : public QWidget {
    Q_OBJECT
public:
    explicit EntriesPanel(Store* store, QWidget* parent = nullptr);

    EntriesModel* model() const { return m_model; }
    EntriesFilterProxy* proxy() const { return m_proxy; }
    QTreeView* view() const { return m_view; }
    QLineEdit* filterEdit() const { return m_filter; }
    QString detailText() const;
    // The selection as JSON (an object for one entry, an array for a name or tenant).
    QString selectionJson() const;
    void copyJson() const;

private:
    void showDetail();

    Store* m_store;
    EntriesModel* m_model;
    EntriesFilterProxy* m_proxy;
    QLineEdit* m_filter;
    QTreeView* m_view;
    QTextBrowser* m_detail;
    QPushButton* m_copy;
};

} // namespace regscope
