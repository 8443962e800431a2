#include "models/EntriesModel.h"

#include "models/EntryGroups.h"
#include "models/ItemRoles.h"
#include "models/ModelRuns.h"
#include "models/Store.h"

#include <QFileInfo>
#include <QHash>
#include <QSet>
#include <QThread>

#include <algorithm>
#include <array>

using namespace Qt::StringLiterals;

namespace regscope {

// One node per registry, tenant and name; versions are the rows under a name. Every index's
// internalPointer() is its parent node (the root for top-level rows), so an index stays valid
// while rows move around it: nodes live on the heap.
struct EntriesModel::Node {
    static constexpr int kRoot = -2;
    int level = kRoot; // kRoot, RegistryLevel, TenantLevel or NameLevel
    Node* parent = nullptr;
    QString key;                                 // the registry, tenant or name
    std::vector<std::unique_ptr<Node>> children; // sorted by (level, key); none under names
    std::vector<QString> versions;               // NameLevel: newest first
    bool alias = false;                          // NameLevel: the name is an alias row
};

namespace {

using Node = EntriesModel::Node;

bool nodeLess(const std::unique_ptr<Node>& a, const std::unique_ptr<Node>& b) {
    return a->level != b->level ? a->level < b->level : a->key < b->key;
}

const QString& keyAt(const EntryRecord* e, int level) {
    return level == EntriesModel::RegistryLevel ? e->registry
           : level == EntriesModel::TenantLevel ? e->tenant
                                                : e->name;
}

} // namespace

int EntriesModel::compareVersions(QStringView a, QStringView b) {
    return compareEntryVersions(a, b);
}

QString EntriesModel::originText(const QString& origin) {
    if (origin.contains(u".so") || origin.contains(u'/'))
        return u"registered by "_s % QFileInfo(origin).fileName();
    return origin;
}

EntriesModel::EntriesModel(Store* store, QObject* parent)
    : QAbstractItemModel(parent)
    , m_store(store)
    , m_root(std::make_unique<Node>()) {
    connect(store, &Store::recordsChanged, this, &EntriesModel::onRecordsChanged);
    connect(store, &Store::healthChanged, this, &EntriesModel::onHealthChanged);
    m_muted = store->health().state == HealthState::Down && store->count(RecordKind::Entry) > 0;
    QStringList existing;
    store->forEach(RecordKind::Entry, [&](const Record& r) { existing << recordId(r); });
    if (!existing.isEmpty())
        onRecordsChanged(RecordKind::Entry, existing, {});
}

EntriesModel::~EntriesModel() = default;

// --- structure ------------------------------------------------------------------------------

EntriesModel::Node* EntriesModel::nodeOf(const QModelIndex& index) const {
    if (!index.isValid())
        return m_root.get();
    auto* parent = static_cast<Node*>(index.internalPointer());
    if (parent->level == NameLevel)
        return nullptr; // a version row
    return parent->children[size_t(index.row())].get();
}

int EntriesModel::rowOf(const Node* n) const {
    const auto& siblings = n->parent->children;
    const auto it = std::lower_bound(
        siblings.begin(), siblings.end(), n, [](const std::unique_ptr<Node>& s, const Node* key) {
            return s->level != key->level ? s->level < key->level : s->key < key->key;
        });
    Q_ASSERT(it != siblings.end() && it->get() == n);
    return int(it - siblings.begin());
}

QModelIndex EntriesModel::indexOfNode(const Node* n) const {
    if (n == m_root.get())
        return {};
    return createIndex(rowOf(n), 0, n->parent);
}

EntriesModel::Node* EntriesModel::child(const Node* parent, int level, QStringView key) const {
    const auto& c = parent->children;
    const auto it = std::lower_bound(c.begin(), c.end(), std::pair(level, key),
                                     [](const std::unique_ptr<Node>& s, const auto& k) {
                                         return s->level != k.first
                                                    ? s->level < k.first
                                                    : QStringView(s->key) < k.second;
                                     });
    return it != c.end() && (*it)->level == level && (*it)->key == key ? it->get() : nullptr;
}

EntriesModel::Node* EntriesModel::findName(QStringView registry, QStringView tenant,
                                           QStringView name) const {
    const Node* layer =
        registry.isEmpty() ? m_root.get() : child(m_root.get(), RegistryLevel, registry);
    const Node* t = layer ? child(layer, TenantLevel, tenant) : nullptr;
    return t ? child(t, NameLevel, name) : nullptr;
}

QModelIndex EntriesModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount ||
        (parent.isValid() && parent.column() != 0))
        return {};
    const Node* p = nodeOf(parent);
    if (!p)
        return {};
    const size_t rows = p->level == NameLevel ? p->versions.size() : p->children.size();
    return size_t(row) < rows ? createIndex(row, column, p) : QModelIndex();
}

QModelIndex EntriesModel::parent(const QModelIndex& child) const {
    if (!child.isValid())
        return {};
    return indexOfNode(static_cast<const Node*>(child.internalPointer()));
}

int EntriesModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid() && parent.column() != 0)
        return 0;
    const Node* p = nodeOf(parent);
    if (!p)
        return 0;
    return int(p->level == NameLevel ? p->versions.size() : p->children.size());
}

int EntriesModel::columnCount(const QModelIndex&) const {
    return ColumnCount;
}

QString EntriesModel::versionId(const Node* n, const QString& version) const {
    EntryRecord key;
    key.name = n->key;
    key.tenant = n->parent->key;
    if (n->parent->parent->level == RegistryLevel)
        key.registry = n->parent->parent->key;
    key.version = version;
    if (version.isEmpty())
        key.aliasOf = u"-"_s;
    return recordId(key);
}

const EntryRecord* EntriesModel::entryFor(const Node* n, const QString& version) const {
    const Record* r = m_store->find(RecordKind::Entry, versionId(n, version));
    return r ? std::get_if<EntryRecord>(r) : nullptr;
}

const EntryRecord* EntriesModel::latestFor(const Node* n) const {
    if (n->alias)
        return entryFor(n, {});
    return n->versions.empty() ? nullptr : entryFor(n, n->versions.front());
}

// --- data -----------------------------------------------------------------------------------

QVariant EntriesModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const std::array<QString, ColumnCount> names{u"Name"_s,  u"Version"_s, u"Type"_s,
                                                        u"State"_s, u"Origin"_s,  u"Description"_s};
    return section >= 0 && section < ColumnCount ? names[size_t(section)] : QVariant();
}

QVariant EntriesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid())
        return {};
    const auto* parent = static_cast<const Node*>(index.internalPointer());
    if ((role == StateRole || role == RowStateRole) && m_muted)
        return int(ItemState::Muted);
    if (parent->level == NameLevel)
        return entryData(parent, &parent->versions[size_t(index.row())], index.column(), role);
    const Node* n = parent->children[size_t(index.row())].get();
    if (n->level == NameLevel)
        return entryData(n, nullptr, index.column(), role);
    return groupData(n, index.column(), role);
}

QVariant EntriesModel::groupData(const Node* n, int col, int role) const {
    const bool registry = n->level == RegistryLevel;
    switch (role) {
    case LevelRole:
        return n->level;
    case TenantRole:
        return registry ? QString() : n->key;
    case RegistryRole:
        return registry ? n->key : n->parent->level == RegistryLevel ? n->parent->key : QString();
    case RecordIdRole:
        return QString();
    case Qt::DisplayRole:
    case SearchTextRole:
        if (col == NameColumn)
            return registry || !n->key.isEmpty() ? n->key : u"(global)"_s;
        if (col == VersionColumn && role == Qt::DisplayRole)
            return registry ? u"%1 tenants"_s.arg(n->children.size())
                            : u"%1 names"_s.arg(n->children.size());
        if (col == TypeColumn && role == Qt::DisplayRole && registry)
            return u"registry"_s;
        return {};
    }
    return {};
}

// A name row (version == nullptr: the latest version or the alias speaks for it) or one of
// its version rows.
QVariant EntriesModel::entryData(const Node* n, const QString* version, int col, int role) const {
    switch (role) {
    case LevelRole:
        return int(version ? VersionLevel : NameLevel);
    case TenantRole:
        return n->parent->key;
    case RegistryRole:
        return n->parent->parent->level == RegistryLevel ? n->parent->parent->key : QString();
    case NameRole:
        return n->key;
    case RecordIdRole:
        return version ? versionId(n, *version) : n->alias ? versionId(n, {}) : QString();
    case SearchTextRole:
    case StateRole:
    case OriginRole:
    case Qt::ToolTipRole:
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    if (role == Qt::DisplayRole && version && (col == NameColumn || col == VersionColumn))
        return *version;
    if (role == Qt::DisplayRole && !version && col == NameColumn)
        return n->key;
    const EntryRecord* e = version ? entryFor(n, *version) : latestFor(n);
    const bool alias = !version && n->alias;
    if (role == SearchTextRole) {
        const QString versions =
            version ? *version : QStringList(n->versions.begin(), n->versions.end()).join(u' ');
        return QString(n->key % u' ' % versions % u' ' %
                       (e ? e->type % u' ' % e->origin : QString()));
    }
    if (role == StateRole)
        return int(e && (e->deprecated || alias) ? ItemState::Deprecated : ItemState::Normal);
    if (role == OriginRole || (role == Qt::ToolTipRole && col == OriginColumn))
        return e ? e->origin : QVariant();
    if (role != Qt::DisplayRole)
        return {};
    switch (col) {
    case VersionColumn:
        return alias || n->versions.empty() ? QString() : n->versions.front();
    case TypeColumn:
        return e ? e->type : QString();
    case StateColumn:
        if (version)
            return e ? (e->deprecated ? u"deprecated"_s : u"active"_s) : QString();
        if (alias && e)
            return QString(u"alias → "_s % e->aliasOf);
        if (e && e->deprecated)
            return u"deprecated"_s;
        return n->versions.size() > 1 ? u"%1 versions"_s.arg(n->versions.size()) : QString();
    case OriginColumn:
        return e ? originText(e->origin) : QString();
    case DescriptionColumn:
        return e ? (alias ? e->deprecationMessage : e->description) : QString();
    }
    return {};
}

std::vector<EntryRecord> EntriesModel::recordsAt(const QModelIndex& index) const {
    std::vector<EntryRecord> out;
    if (!index.isValid())
        return out;
    const auto* parent = static_cast<const Node*>(index.internalPointer());
    if (parent->level == NameLevel) {
        if (const EntryRecord* e = entryFor(parent, parent->versions[size_t(index.row())]))
            out.push_back(*e);
        return out;
    }
    auto add = [&](auto&& self, const Node* n) -> void {
        if (n->level != NameLevel) {
            for (const auto& c : n->children)
                self(self, c.get());
            return;
        }
        if (n->alias) {
            if (const EntryRecord* e = entryFor(n, {}))
                out.push_back(*e);
        }
        for (const QString& v : n->versions) {
            if (const EntryRecord* e = entryFor(n, v))
                out.push_back(*e);
        }
    };
    add(add, parent->children[size_t(index.row())].get());
    return out;
}

QModelIndex EntriesModel::indexOf(const QString& id) const {
    const Record* r = m_store->find(RecordKind::Entry, id);
    const auto* e = r ? std::get_if<EntryRecord>(r) : nullptr;
    const Node* n = e ? findName(e->registry, e->tenant, e->name) : nullptr;
    if (!n)
        return {};
    const QModelIndex nameIndex = indexOfNode(n);
    if (!e->aliasOf.isEmpty())
        return nameIndex;
    const auto it = std::find(n->versions.begin(), n->versions.end(), e->version);
    return it == n->versions.end() ? QModelIndex()
                                   : index(int(it - n->versions.begin()), 0, nameIndex);
}

// --- updates --------------------------------------------------------------------------------

void EntriesModel::onHealthChanged(const SourceHealth& health) {
    const bool muted = health.state == HealthState::Down;
    if (muted == m_muted)
        return;
    m_muted = muted;
    emitAllChanged(m_root.get());
}

void EntriesModel::emitAllChanged(const Node* parent) {
    const size_t rows =
        parent->level == NameLevel ? parent->versions.size() : parent->children.size();
    if (rows == 0)
        return;
    const QModelIndex p = indexOfNode(parent);
    Q_EMIT dataChanged(index(0, 0, p), index(int(rows) - 1, ColumnCount - 1, p));
    for (const auto& c : parent->children)
        emitAllChanged(c.get());
}

// The name node a record id names and the row it means there (-1: the name's alias row),
// or nullptr. recordId(): [registry '#'] tenant '/' name ['@' version].
EntriesModel::Node* EntriesModel::locate(QStringView id, int* versionRow) const {
    QStringView registry;
    const qsizetype slash = id.indexOf(u'/');
    if (const qsizetype hash = id.first(std::max<qsizetype>(slash, 0)).indexOf(u'#');
        hash >= 0 && child(m_root.get(), RegistryLevel, id.first(hash))) {
        registry = id.first(hash);
        id = id.sliced(hash + 1);
    }
    const qsizetype s = id.indexOf(u'/');
    if (s < 0)
        return nullptr;
    const QStringView tenant = id.first(s);
    const QStringView tail = id.sliced(s + 1);
    if (Node* n = findName(registry, tenant, tail); n && n->alias) {
        *versionRow = -1;
        return n;
    }
    const qsizetype at = tail.lastIndexOf(u'@');
    Node* n = at < 0 ? nullptr : findName(registry, tenant, tail.first(at));
    if (!n)
        return nullptr;
    const auto it = std::find(n->versions.begin(), n->versions.end(), tail.sliced(at + 1));
    *versionRow = int(it - n->versions.begin());
    return it == n->versions.end() ? nullptr : n;
}

void EntriesModel::applyRemovals(const QStringList& removed) {
    // What goes under each name node, worked out before anything moves.
    QHash<Node*, std::vector<int>> versionRows;
    QSet<Node*> aliasGone;
    for (const QString& id : removed) {
        int row = 0;
        Node* n = locate(id, &row);
        if (!n)
            continue;
        if (row < 0)
            aliasGone.insert(n);
        else
            versionRows[n].push_back(row);
        --m_entryCount;
    }
    QSet<Node*> touched(aliasGone.begin(), aliasGone.end());
    for (auto it = versionRows.begin(); it != versionRows.end(); ++it)
        touched.insert(it.key());
    // Bottom up: a name with nothing left goes, then a group with no children left, and so on.
    QHash<Node*, std::vector<Node*>> dying; // parent → its children that go
    QSet<Node*> changed;
    auto markChanged = [&](Node* n) {
        for (; n && n != m_root.get() && !changed.contains(n); n = n->parent)
            changed.insert(n);
    };
    for (Node* n : std::as_const(touched)) {
        std::vector<int> rows = versionRows.value(n);
        std::sort(rows.begin(), rows.end());
        rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
        const bool aliasLeft = n->alias && !aliasGone.contains(n);
        if (!aliasLeft && rows.size() == n->versions.size()) {
            dying[n->parent].push_back(n);
            continue;
        }
        const QModelIndex parent = indexOfNode(n);
        removeRuns(
            n->versions, rows, [&](int first, int last) { beginRemoveRows(parent, first, last); },
            [&] { endRemoveRows(); });
        if (aliasGone.contains(n))
            n->alias = false;
        markChanged(n);
    }
    while (!dying.isEmpty()) {
        QHash<Node*, std::vector<Node*>> next;
        for (auto it = dying.begin(); it != dying.end(); ++it) {
            Node* p = it.key();
            if (p != m_root.get() && it.value().size() == p->children.size()) {
                next[p->parent].push_back(p);
                continue;
            }
            std::vector<int> rows;
            for (const Node* c : it.value())
                rows.push_back(rowOf(c));
            const QModelIndex parent = indexOfNode(p);
            removeRuns(
                p->children, rows,
                [&](int first, int last) { beginRemoveRows(parent, first, last); },
                [&] { endRemoveRows(); });
            markChanged(p);
        }
        dying.swap(next);
    }
    QHash<Node*, std::vector<int>> changedRows;
    for (Node* n : std::as_const(changed))
        changedRows[n->parent].push_back(rowOf(n));
    for (auto it = changedRows.begin(); it != changedRows.end(); ++it)
        emitDataChangedRuns(this, indexOfNode(it.key()), std::move(it.value()));
}

void EntriesModel::onRecordsChanged(RecordKind kind, const QStringList& upserted,
                                    const QStringList& removed) {
    Q_ASSERT(QThread::currentThread() == thread());
    if (kind != RecordKind::Entry)
        return;
    if (!removed.isEmpty())
        applyRemovals(removed);
    if (upserted.isEmpty())
        return;
    // The records themselves (stable while this slot runs): no copies, no lookups when the
    // store hands them over with the ids.
    Items items;
    items.reserve(size_t(upserted.size()));
    const std::vector<const Record*>& given = m_store->changedRecords(RecordKind::Entry);
    if (qsizetype(given.size()) == upserted.size()) {
        for (const Record* r : given) {
            if (const auto* e = std::get_if<EntryRecord>(r))
                items.push_back(e);
        }
    } else {
        for (const QString& id : upserted) {
            const Record* r = m_store->find(RecordKind::Entry, id);
            if (const auto* e = r ? std::get_if<EntryRecord>(r) : nullptr)
                items.push_back(e);
        }
    }
    applyUpserts(std::move(items));
}

void EntriesModel::applyUpserts(Items items) {
    sortByEntryGroup(items);
    // Records of the default registry ("") put their tenants at the top; the others go under
    // their registry's row. "" sorts first, so its tenants are merged first.
    auto split = std::find_if(items.cbegin(), items.cend(),
                              [](const EntryRecord* e) { return !e->registry.isEmpty(); });
    if (split != items.cbegin())
        mergeChildren(m_root.get(), TenantLevel, false, items.cbegin(), split);
    if (split != items.cend())
        mergeChildren(m_root.get(), RegistryLevel, false, split, items.cend());
}

// Merges [begin, end) (grouped, sharing every key above childLevel) into `parent`'s children
// of `childLevel`. A fresh parent is not in the model yet: nothing is signalled for it.
void EntriesModel::mergeChildren(Node* parent, int childLevel, bool fresh,
                                 Items::const_iterator begin, Items::const_iterator end) {
    std::vector<std::unique_ptr<Node>> added;
    std::vector<Node*> changed;
    for (auto i = begin; i != end;) {
        const QString& key = keyAt(*i, childLevel);
        auto groupEnd = i;
        while (groupEnd != end && keyAt(*groupEnd, childLevel) == key)
            ++groupEnd;
        Node* c = fresh ? nullptr : child(parent, childLevel, key);
        std::unique_ptr<Node> node;
        if (!c) {
            node = std::make_unique<Node>();
            node->level = childLevel;
            node->parent = parent;
            node->key = key;
            c = node.get();
        }
        if (childLevel == NameLevel)
            mergeVersions(c, bool(node), i, groupEnd);
        else
            mergeChildren(c, childLevel + 1, bool(node), i, groupEnd);
        if (node)
            added.push_back(std::move(node));
        else
            changed.push_back(c);
        i = groupEnd;
    }
    if (fresh) {
        parent->children = std::move(added); // sorted: the groups come in key order
        return;
    }
    if (!added.empty()) {
        const QModelIndex p = indexOfNode(parent);
        insertRuns(
            parent->children, added, nodeLess,
            [&](int first, int last) { beginInsertRows(p, first, last); },
            [&] { endInsertRows(); });
    }
    if (!changed.empty()) {
        std::vector<int> rows;
        rows.reserve(changed.size());
        for (const Node* c : changed)
            rows.push_back(rowOf(c));
        emitDataChangedRuns(this, indexOfNode(parent), std::move(rows));
    }
}

void EntriesModel::mergeVersions(Node* n, bool fresh, Items::const_iterator begin,
                                 Items::const_iterator end) {
    const auto versionLess = [](const QString& a, const QString& b) {
        return compareVersions(a, b) < 0;
    };
    std::vector<QString> added;
    std::vector<QString> changed;
    for (auto i = begin; i != end; ++i) {
        const EntryRecord* e = *i;
        if (!e->aliasOf.isEmpty()) {
            m_entryCount += n->alias ? 0 : 1;
            n->alias = true;
        } else if (!fresh && std::find(n->versions.begin(), n->versions.end(), e->version) !=
                                 n->versions.end()) {
            changed.push_back(e->version);
        } else {
            added.push_back(e->version);
            ++m_entryCount;
        }
    }
    if (!std::is_sorted(added.begin(), added.end(), versionLess))
        std::sort(added.begin(), added.end(), versionLess);
    if (fresh) {
        n->versions = std::move(added);
        return;
    }
    const QModelIndex parent = indexOfNode(n);
    if (!added.empty())
        insertRuns(
            n->versions, added, versionLess,
            [&](int first, int last) { beginInsertRows(parent, first, last); },
            [&] { endInsertRows(); });
    if (!changed.empty()) {
        std::vector<int> rows;
        for (const QString& v : changed)
            rows.push_back(
                int(std::find(n->versions.begin(), n->versions.end(), v) - n->versions.begin()));
        emitDataChangedRuns(this, parent, std::move(rows));
    }
}

} // namespace regscope
