#pragma once
// Entries: a filter box over names, versions and types; the tenant → name → version tree; a
// detail pane with everything known about the selection, and "copy as JSON". Past
// kFlatFilterAbove entries a filter shows its matches as a flat table found by a sliced scan
// (models/EntryMatchesModel): the tree's proxy would hold the GUI thread for seconds.

#include <QWidget>

#include <vector>

class QLabel;
class QLineEdit;
class QStackedWidget;
class QTableView;
class QTextBrowser;
class QTreeView;
class QPushButton;

namespace regscope {

class Store;
class EntriesModel;
class EntriesFilterProxy;
class EntryMatchesModel;
struct EntryRecord;

class EntriesPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr qsizetype kFlatFilterAbove = 20000;

    explicit EntriesPanel(Store* store, QWidget* parent = nullptr);

    EntriesModel* model() const { return m_model; }
    EntriesFilterProxy* proxy() const { return m_proxy; }
    QTreeView* view() const { return m_view; }
    EntryMatchesModel* matches() const { return m_matches; }
    QTableView* matchesView() const { return m_matchesView; }
    bool showsMatches() const; // a filter over a big registry: the flat matches are in front
    QLineEdit* filterEdit() const { return m_filter; }
    QString detailText() const;
    // The selection as JSON (an object for one entry, an array for a name or tenant).
    QString selectionJson() const;
    void copyJson() const;

private:
    void applyFilter(const QString& text);
    void updateMatchStatus();
    std::vector<EntryRecord> selectedRecords() const;
    void showDetail();

    Store* m_store;
    EntriesModel* m_model;
    EntriesFilterProxy* m_proxy;
    QLineEdit* m_filter;
    QTreeView* m_view;
    EntryMatchesModel* m_matches;
    QTableView* m_matchesView;
    QStackedWidget* m_views;
    QLabel* m_matchStatus;
    QTextBrowser* m_detail;
    QPushButton* m_copy;
};

} // namespace regscope
