#pragma once
// Cluster members as a table: name, id, leader, client URLs, version, db size vs in use, raft
// index/term, reachability. Updated with targeted row changes keyed by member id.

#include "models/SourceEvent.h"

#include <QAbstractTableModel>

namespace regscope {

class Store;

class EtcdClusterModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        IdColumn,
        RoleColumn,
        ClientUrlsColumn,
        VersionColumn,
        DbSizeColumn,
        DbInUseColumn,
        RaftIndexColumn,
        RaftTermColumn,
        StatusColumn,
        ColumnCount
    };
    enum Role { MemberIdRole = Qt::UserRole + 1, IsLeaderRole, ReachableRole };

    using QAbstractTableModel::QAbstractTableModel;

    // Follows the store's cluster samples; empties when the store is cleared.
    void setStore(const Store* store);
    void update(const ClusterSample& info);
    void clear();
    quint64 leaderId() const { return m_leader; }
    QString endpointInUse() const { return m_endpoint; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<ClusterMember> m_members; // sorted by id
    quint64 m_leader = 0;
    QString m_endpoint;
};

} // namespace regscope
