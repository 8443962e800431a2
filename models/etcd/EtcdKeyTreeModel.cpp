#include "models/etcd/EtcdKeyTreeModel.h"

#include "models/ByteText.h"
#include "models/Store.h"

#include <QThread>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

using namespace Qt::StringLiterals;

namespace regscope {

struct EtcdKeyTreeModel::Node {
    QByteArray name; // "svc/" for a folder, "x" for a key (bytes: etcd's order)
    QByteArray path;
    Node* parent = nullptr;
    std::vector<std::unique_ptr<Node>> children; // sorted by name
    bool isKey = false;
    KeyRecord kv;
    qint64 keyCount = 0; // keys at or under this node

    static bool less(const std::unique_ptr<Node>& n, const QByteArray& name) {
        return n->name < name;
    }
    auto lowerBound(const QByteArray& name) {
        return std::lower_bound(children.begin(), children.end(), name, &Node::less);
    }
    Node* child(const QByteArray& name) {
        const auto it = lowerBound(name);
        return it != children.end() && (*it)->name == name ? it->get() : nullptr;
    }
    int row() const {
        auto& siblings = parent->children;
        const auto it = std::lower_bound(siblings.begin(), siblings.end(), name, &Node::less);
        return static_cast<int>(it - siblings.begin());
    }
    Node* addChild(const QByteArray& childName) { // for detached subtrees only
        auto it = lowerBound(childName);
        if (it != children.end() && (*it)->name == childName)
            return it->get();
        auto n = std::make_unique<Node>();
        n->name = childName;
        n->path = path + childName;
        n->parent = this;
        return children.insert(it, std::move(n))->get();
    }
};

namespace {

// "/a/b/c" → "/", "a/", "b/", "c"; "a/b/" → "a/", "b/".
QList<QByteArray> segments(const QByteArray& key) {
    QList<QByteArray> out;
    qsizetype start = 0;
    for (qsizetype i = 0; i < key.size(); ++i) {
        if (key[i] == '/') {
            out << key.mid(start, i - start + 1);
            start = i + 1;
        }
    }
    if (start < key.size())
        out << key.mid(start);
    return out;
}

// Consecutive runs of sorted rows: [(first, last)].
std::vector<std::pair<int, int>> runsOf(std::vector<int> rows) {
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    std::vector<std::pair<int, int>> runs;
    for (const int r : rows) {
        if (!runs.empty() && runs.back().second + 1 == r)
            runs.back().second = r;
        else
            runs.emplace_back(r, r);
    }
    return runs;
}

QString preview(const QByteArray& value) {
    QString text = QString::fromUtf8(value.left(200));
    text.replace(u'\n', u' ');
    return text;
}

} // namespace

EtcdKeyTreeModel::EtcdKeyTreeModel(QObject* parent)
    : QAbstractItemModel(parent)
    , m_root(std::make_unique<Node>()) {}

EtcdKeyTreeModel::~EtcdKeyTreeModel() = default;

void EtcdKeyTreeModel::setStore(const Store* store) {
    Q_ASSERT(QThread::currentThread() == thread());
    disconnect(m_storeConnection);
    m_store = store;
    beginResetModel(); // once, on attaching: later changes come as runs
    m_root = std::make_unique<Node>();
    endResetModel();
    if (!store)
        return;
    m_storeConnection =
        connect(store, &Store::recordsChanged, this, &EtcdKeyTreeModel::onStoreChanged);
    std::vector<KeyRecord> all;
    all.reserve(static_cast<size_t>(store->count(RecordKind::Key)));
    store->forEach(RecordKind::Key,
                   [&](const Record& r) { all.push_back(std::get<KeyRecord>(r)); });
    applyChanges(all, {});
}

void EtcdKeyTreeModel::onStoreChanged(RecordKind kind, const QStringList& upserted,
                                      const QStringList& removed) {
    if (kind != RecordKind::Key || !m_store)
        return;
    std::vector<KeyRecord> ups;
    ups.reserve(static_cast<size_t>(upserted.size()));
    // The store hands the records over with the ids: no lookup per id.
    const std::vector<const Record*>& given = m_store->changedRecords(RecordKind::Key);
    if (static_cast<qsizetype>(given.size()) == upserted.size()) {
        for (const Record* r : given)
            if (const auto* kv = std::get_if<KeyRecord>(r))
                ups.push_back(*kv);
    } else {
        for (const QString& id : upserted)
            if (const Record* r = m_store->find(RecordKind::Key, id))
                ups.push_back(std::get<KeyRecord>(*r));
    }
    applyChanges(ups, removed);
}

void EtcdKeyTreeModel::applyChanges(const std::vector<KeyRecord>& upserts,
                                    const QStringList& removedIds) {
    Q_ASSERT(QThread::currentThread() == thread());
    std::vector<Node*> changed;
    removeKeys(removedIds, changed);
    insertKeys(upserts, changed);
    emitChanged(std::move(changed));
}

void EtcdKeyTreeModel::insertKeys(const std::vector<KeyRecord>& upserts,
                                  std::vector<Node*>& changed) {
    // New subtrees hang detached under the existing node where their path leaves the tree,
    // then go in with one beginInsertRows per run of adjacent new rows.
    std::unordered_map<Node*, std::unique_ptr<Node>> detached; // existing parent → holder
    for (const KeyRecord& kv : upserts) {
        const QList<QByteArray> segs = segments(kv.key);
        if (segs.isEmpty())
            continue;
        Node* n = m_root.get();
        qsizetype i = 0;
        while (i < segs.size()) {
            Node* c = n->child(segs[i]);
            if (!c)
                break;
            n = c;
            ++i;
        }
        if (i == segs.size()) { // the node exists
            const bool wasKey = n->isKey;
            n->isKey = true;
            n->kv = kv;
            changed.push_back(n);
            if (!wasKey)
                for (Node* a = n; a != m_root.get(); a = a->parent) {
                    ++a->keyCount;
                    changed.push_back(a);
                }
            continue;
        }
        auto& holder = detached[n];
        if (!holder) {
            holder = std::make_unique<Node>();
            holder->path = n->path;
        }
        Node* d = holder.get();
        for (; i < segs.size(); ++i)
            d = d->addChild(segs[i]);
        if (d->isKey) {
            d->kv = kv;
            continue;
        }
        d->isKey = true;
        d->kv = kv;
        for (Node* a = d; a != holder.get(); a = a->parent)
            ++a->keyCount;
        for (Node* a = n; a != m_root.get(); a = a->parent) {
            ++a->keyCount;
            changed.push_back(a);
        }
    }
    for (auto& [parentNode, holder] : detached)
        attach(parentNode, *holder);
}

void EtcdKeyTreeModel::attach(Node* p, Node& holder) {
    // Final rows of the new children among the old ones.
    std::vector<int> rows;
    size_t oi = 0, ni = 0;
    for (int pos = 0; ni < holder.children.size(); ++pos) {
        if (oi < p->children.size() && p->children[oi]->name < holder.children[ni]->name) {
            ++oi;
        } else {
            rows.push_back(pos);
            ++ni;
        }
    }
    const QModelIndex parentIndex = p == m_root.get() ? QModelIndex() : indexOfNode(p);
    size_t next = 0;
    for (const auto& [first, last] : runsOf(rows)) {
        beginInsertRows(parentIndex, first, last);
        for (int r = first; r <= last; ++r) {
            auto node = std::move(holder.children[next++]);
            node->parent = p;
            p->children.insert(p->children.begin() + r, std::move(node));
        }
        endInsertRows();
    }
}

void EtcdKeyTreeModel::removeKeys(const QStringList& ids, std::vector<Node*>& changed) {
    std::vector<Node*> gone;
    for (const QString& id : ids) {
        const std::optional<QByteArray> key = unescapeBytes(id); // the Store's lossless id
        if (!key)
            continue;
        Node* n = m_root.get();
        for (const QByteArray& s : segments(*key)) {
            n = n->child(s);
            if (!n)
                break;
        }
        if (!n || n == m_root.get() || !n->isKey)
            continue;
        n->isKey = false;
        n->kv = KeyRecord{};
        for (Node* a = n; a != m_root.get(); a = a->parent)
            --a->keyCount;
        gone.push_back(n);
    }
    // Every node left with no key goes; its highest such ancestor is what is removed.
    std::unordered_map<Node*, std::vector<int>> removals;
    for (Node* n : gone) {
        Node* top = nullptr;
        for (Node* a = n; a != m_root.get() && a->keyCount == 0; a = a->parent)
            top = a;
        Node* survivor = top ? top->parent : n;
        if (top)
            removals[top->parent].push_back(top->row());
        for (Node* a = survivor; a != m_root.get(); a = a->parent)
            changed.push_back(a);
    }
    for (auto& [p, rows] : removals) {
        const QModelIndex parentIndex = p == m_root.get() ? QModelIndex() : indexOfNode(p);
        auto runs = runsOf(std::move(rows));
        for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
            beginRemoveRows(parentIndex, it->first, it->second);
            p->children.erase(p->children.begin() + it->first,
                              p->children.begin() + it->second + 1);
            endRemoveRows();
        }
    }
}

void EtcdKeyTreeModel::emitChanged(std::vector<Node*> nodes) {
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
    std::unordered_map<Node*, std::vector<int>> byParent;
    for (Node* n : nodes)
        byParent[n->parent].push_back(n->row());
    for (auto& [p, rows] : byParent) {
        const QModelIndex parentIndex = p == m_root.get() ? QModelIndex() : indexOfNode(p);
        for (const auto& [first, last] : runsOf(std::move(rows)))
            Q_EMIT dataChanged(index(first, 0, parentIndex),
                               index(last, ColumnCount - 1, parentIndex));
    }
}

EtcdKeyTreeModel::Node* EtcdKeyTreeModel::nodeOf(const QModelIndex& index) const {
    return index.isValid() ? static_cast<Node*>(index.internalPointer()) : m_root.get();
}

QModelIndex EtcdKeyTreeModel::indexOfNode(const Node* node, int column) const {
    if (!node || node == m_root.get())
        return {};
    return createIndex(node->row(), column, const_cast<Node*>(node));
}

QModelIndex EtcdKeyTreeModel::index(int row, int column, const QModelIndex& parent) const {
    const Node* p = nodeOf(parent);
    if (row < 0 || column < 0 || column >= ColumnCount ||
        row >= static_cast<int>(p->children.size()))
        return {};
    return createIndex(row, column, p->children[size_t(row)].get());
}

QModelIndex EtcdKeyTreeModel::parent(const QModelIndex& child) const {
    if (!child.isValid())
        return {};
    return indexOfNode(nodeOf(child)->parent);
}

int EtcdKeyTreeModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return static_cast<int>(nodeOf(parent)->children.size());
}

int EtcdKeyTreeModel::columnCount(const QModelIndex&) const {
    return ColumnCount;
}

QVariant EtcdKeyTreeModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid())
        return {};
    const Node* n = nodeOf(index);
    const bool folder = !n->children.empty() || n->name.endsWith('/');
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return escapeBytes(n->name);
        case KeysColumn:
            return folder ? QVariant(n->keyCount) : QVariant();
        case ValueColumn:
            return n->isKey ? QVariant(preview(n->kv.value)) : QVariant();
        case ModRevisionColumn:
            return n->isKey ? QVariant(n->kv.modRevision) : QVariant();
        default:
            return {};
        }
    case Qt::ToolTipRole:
        return escapeBytes(n->path);
    case PathRole:
        return n->path;
    case IsKeyRole:
        return n->isKey;
    case IsFolderRole:
        return folder;
    case KeyCountRole:
        return n->keyCount;
    default:
        return {};
    }
}

QVariant EtcdKeyTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return u"Key"_s;
    case KeysColumn:
        return u"Keys"_s;
    case ValueColumn:
        return u"Value"_s;
    case ModRevisionColumn:
        return u"Mod rev"_s;
    default:
        return {};
    }
}

QModelIndex EtcdKeyTreeModel::indexOf(const QByteArray& path) const {
    Node* n = m_root.get();
    for (const QByteArray& s : segments(path)) {
        n = n->child(s);
        if (!n)
            return {};
    }
    return indexOfNode(n);
}

const KeyRecord* EtcdKeyTreeModel::keyAt(const QModelIndex& index) const {
    const Node* n = index.isValid() ? nodeOf(index) : nullptr;
    return n && n->isKey ? &n->kv : nullptr;
}

qint64 EtcdKeyTreeModel::keyCount(const QModelIndex& index) const {
    return nodeOf(index)->keyCount;
}

qint64 EtcdKeyTreeModel::seenRevision(const QModelIndex& index) const {
    qint64 seen = 0;
    for (const KeyRecord& kv : keysUnder(index))
        seen = std::max(seen, kv.modRevision);
    return seen;
}

std::vector<KeyRecord> EtcdKeyTreeModel::keysUnder(const QModelIndex& index) const {
    std::vector<KeyRecord> out;
    std::vector<const Node*> stack{nodeOf(index)};
    while (!stack.empty()) {
        const Node* n = stack.back();
        stack.pop_back();
        if (n->isKey)
            out.push_back(n->kv);
        for (auto it = n->children.rbegin(); it != n->children.rend(); ++it)
            stack.push_back(it->get());
    }
    return out;
}

qint64 EtcdKeyTreeModel::keysWithLease(qint64 lease) const {
    const auto all = keysUnder(QModelIndex());
    return std::count_if(all.begin(), all.end(),
                         [lease](const KeyRecord& kv) { return kv.lease == lease; });
}

} // namespace regscope
