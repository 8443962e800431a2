#pragma once
// The key tree beside the flat table: folders by '/', with their key counts, and the etcd
// actions on the node under the cursor (edit, create here, delete, delete folder with its
// count, history). Knows EtcdKeyTreeModel and the EtcdKeyActions it is given, nothing else.

#include <QWidget>

class QMenu;
class QTreeView;

namespace regscope {

class EtcdKeyActions;
class EtcdKeyTreeModel;

class EtcdKeyTreeView : public QWidget {
    Q_OBJECT
public:
    // actions may be null: a tree without actions (time travel, read-only builds).
    EtcdKeyTreeView(EtcdKeyTreeModel* model, EtcdKeyActions* actions, QWidget* parent = nullptr);

    QTreeView* tree() const { return m_tree; }
    // The menu for a node (what a right click opens); the caller owns it.
    QMenu* menuFor(const QModelIndex& index);

private:
    EtcdKeyTreeModel* m_model;
    EtcdKeyActions* m_actions;
    QTreeView* m_tree;
};

} // namespace regscope
