#pragma once
// The sources of a session, one row each: its URL, its health with the reason, what it holds,
// and whether the panels show it. Follows each source's Store (health and flushes); the rows
// themselves are added and removed by the session.

#include "models/SourceEvent.h"

#include <QAbstractTableModel>
#include <QPointer>

#include <vector>

namespace regscope {

class Store;

class SourcesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        SourceColumn,
        StateColumn,
        EntriesColumn,
        InstancesColumn,
        KeysColumn,
        ShownColumn,
        ReasonColumn,
        ColumnCount
    };
    static constexpr int UrlRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;

    void addSource(const QString& url, Store* store, bool inPanels);
    void removeSource(int row);
    void setUrl(int row, const QString& url);
    int rowOfStore(const Store* store) const;
    QString urlAt(int row) const;
    Store* storeAt(int row) const; // null: gone
    bool inPanels(int row) const;
    // Sources by state: how many are live, and how many are degraded or down.
    int countIn(HealthState state) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct Row {
        QString url;
        QPointer<Store> store;
        bool inPanels = false;
    };
    void refreshStore(const Store* store);

    std::vector<Row> m_rows;
};

} // namespace regscope
