#pragma once
// The etcd keys as a tree by '/', beside the flat table: a folder is a prefix ending in '/'
// ("/svc/a/"), a leaf is a key; a folder can be a key too. Each folder shows how many keys
// are under it. Fed by the Store's key records like EtcdKeysModel: each flush becomes one
// beginInsertRows / beginRemoveRows per run of adjacent new / gone rows under one parent and
// one dataChanged per run of changed rows; never a reset after the first load.

#include "models/SourceEvent.h"

#include <QAbstractItemModel>

#include <memory>
#include <vector>

namespace regscope {

class Store;

class EtcdKeyTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, KeysColumn, ValueColumn, ModRevisionColumn, ColumnCount };
    enum Role {
        PathRole = Qt::UserRole + 1, // QByteArray: the folder's prefix or the key
        IsKeyRole,                   // bool
        IsFolderRole,                // bool
        KeyCountRole,                // qint64: keys at or under it
    };

    explicit EtcdKeyTreeModel(QObject* parent = nullptr);
    ~EtcdKeyTreeModel() override;

    // Follows the store's keys (loads those already there). The store must outlive the model.
    void setStore(const Store* store);
    void applyChanges(const std::vector<KeyRecord>& upserts, const QStringList& removedIds);

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // The node of a folder prefix or a key ("/svc/a/", "/svc/a/x"); invalid if absent.
    QModelIndex indexOf(const QByteArray& path) const;
    const KeyRecord* keyAt(const QModelIndex& index) const; // null for a folder-only node
    qint64 keyCount(const QModelIndex& index) const;
    // The highest mod_revision among the keys at or under it: what the user has seen of it
    // (the guard of a prefix delete).
    qint64 seenRevision(const QModelIndex& index) const;
    // Every key at or under it (a prefix delete's list).
    std::vector<KeyRecord> keysUnder(const QModelIndex& index) const;
    // How many keys shown are bound to the lease (what revoking it takes away).
    qint64 keysWithLease(qint64 lease) const;

private:
    struct Node;
    Node* nodeOf(const QModelIndex& index) const;
    QModelIndex indexOfNode(const Node* node, int column = 0) const;
    void insertKeys(const std::vector<KeyRecord>& upserts, std::vector<Node*>& changed);
    void attach(Node* parent, Node& holder); // moves holder's children under parent, by runs
    void removeKeys(const QStringList& ids, std::vector<Node*>& changed);
    void emitChanged(std::vector<Node*> nodes);
    void onStoreChanged(RecordKind kind, const QStringList& upserted, const QStringList& removed);

    std::unique_ptr<Node> m_root;
    const Store* m_store = nullptr;
    QMetaObject::Connection m_storeConnection;
};

} // namespace regscope
