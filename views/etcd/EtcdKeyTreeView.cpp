#include "views/etcd/EtcdKeyTreeView.h"

#include "models/etcd/EtcdKeyTreeModel.h"
#include "views/ExportUi.h"
#include "views/actions/EtcdKeyActions.h"

#include <QHeaderView>
#include <QMenu>
#include <QTreeView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

EtcdKeyTreeView::EtcdKeyTreeView(EtcdKeyTreeModel* model, EtcdKeyActions* actions, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
    , m_actions(actions) {
    setObjectName(u"etcdKeyTree"_s);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_tree = new QTreeView(this);
    m_tree->setObjectName(u"keyTree"_s);
    m_tree->setModel(model);
    m_tree->setUniformRowHeights(true);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    m_tree->header()->setSectionResizeMode(EtcdKeyTreeModel::NameColumn,
                                           QHeaderView::ResizeToContents);
    layout->addWidget(m_tree);
    connect(m_tree, &QWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
        const QModelIndex index = m_tree->indexAt(pos).siblingAtColumn(0);
        QMenu* menu = menuFor(index);
        if (menu)
            menu->addSeparator();
        else
            menu = new QMenu(this);
        addExportMenus(menu, m_tree); // Copy as / Save as CSV or JSON
        menu->setAttribute(Qt::WA_DeleteOnClose);
        menu->popup(m_tree->viewport()->mapToGlobal(pos));
    });
    connect(m_tree, &QTreeView::doubleClicked, this, [this](const QModelIndex& index) {
        if (const KeyRecord* kv = m_model->keyAt(index.siblingAtColumn(0)); kv && m_actions)
            m_actions->edit(*kv);
    });
}

QMenu* EtcdKeyTreeView::menuFor(const QModelIndex& index) {
    if (!m_actions)
        return nullptr;
    auto* menu = new QMenu(this);
    const bool writable = m_actions->writable();
    const QByteArray path = index.data(EtcdKeyTreeModel::PathRole).toByteArray();
    if (const KeyRecord* found = m_model->keyAt(index)) {
        const KeyRecord kv = *found;
        menu->addAction(u"Edit value…"_s, this, [this, kv] { m_actions->edit(kv); })
            ->setEnabled(writable);
        menu->addAction(u"Delete key…"_s, this, [this, kv] { m_actions->remove(kv); })
            ->setEnabled(writable);
        menu->addAction(u"History…"_s, this, [this, key = kv.key] { m_actions->showHistory(key); });
        if (kv.lease)
            menu->addAction(u"Revoke its lease…"_s, this,
                            [this, lease = kv.lease] {
                                const auto bound = m_model->keysWithLease(lease);
                                m_actions->revokeLease(lease, bound);
                            })
                ->setEnabled(writable);
    }
    if (index.data(EtcdKeyTreeModel::IsFolderRole).toBool()) {
        const qint64 count = m_model->keyCount(index);
        menu->addSeparator();
        menu->addAction(u"New key here…"_s, this, [this, path] { m_actions->create(path); })
            ->setEnabled(writable);
        menu->addAction(u"Delete folder (%1 keys)…"_s.arg(count), this,
                        [this, path, count, seen = m_model->seenRevision(index)] {
                            m_actions->removePrefix(path, count, seen);
                        })
            ->setEnabled(writable);
    }
    if (!index.isValid())
        menu->addAction(u"New key…"_s, this, [this] { m_actions->create(QByteArray()); })
            ->setEnabled(writable);
    if (!writable)
        menu->setToolTip(u"read-only: turn on \"writes allowed\" for this source"_s);
    return menu;
}

} // namespace regscope
