#include "models/EntriesModel.h"

#include "models/ItemRoles.h"
#include "models/Store.h"

#include <QHash>
#include <QSet>
#include <QThread>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

// Numeric identifiers compare as numbers, the rest as text (semver §11).
int compareIdentifiers(QStringView a, QStringView b) {
    bool aNum = false;
    bool bNum = false;
    const qulonglong x = a.toULongLong(&aNum);
    const qulonglong y = b.toULongLong(&bNum);
    if (aNum && bNum)
        return x < y ? -1 : (x > y ? 1 : 0);
    if (aNum != bNum)
        return aNum ? -1 : 1;
    return a.compare(b);
}

// Ascending semver order; anything unparsable falls back to text order.
int semverCompare(QStringView a, QStringView b) {
    auto split = [](QStringView v) {
        const qsizetype plus = v.indexOf(u'+');
        if (plus >= 0)
            v = v.first(plus);
        const qsizetype dash = v.indexOf(u'-');
        return std::pair{dash >= 0 ? v.first(dash) : v,
                         dash >= 0 ? v.sliced(dash + 1) : QStringView()};
    };
    const auto [coreA, preA] = split(a);
    const auto [coreB, preB] = split(b);
    const auto partsA = coreA.split(u'.');
    const auto partsB = coreB.split(u'.');
    for (qsizetype i = 0; i < std::max(partsA.size(), partsB.size()); ++i) {
        const QStringView pa = i < partsA.size() ? partsA[i] : QStringView(u"0");
        const QStringView pb = i < partsB.size() ? partsB[i] : QStringView(u"0");
        if (const int c = compareIdentifiers(pa, pb))
            return c;
    }
    if (preA.isEmpty() != preB.isEmpty())
        return preA.isEmpty() ? 1 : -1; // a release is above its pre-releases
    const auto idsA = preA.split(u'.');
    const auto idsB = preB.split(u'.');
    for (qsizetype i = 0; i < std::min(idsA.size(), idsB.size()); ++i) {
        if (const int c = compareIdentifiers(idsA[i], idsB[i]))
            return c;
    }
    if (idsA.size() != idsB.size())
        return idsA.size() < idsB.size() ? -1 : 1;
    return a.compare(b); // build metadata only: keep a stable order
}

// Inserts `add` (sorted, none present) into sorted `vec`, one begin/endInsertRows per run of
// rows that land together, back to front so the positions computed up front stay right.
template <class T, class Less, class Begin, class End>
void insertRuns(std::vector<T>& vec, std::vector<T>& add, Less less, Begin begin, End end) {
    if (add.empty())
        return;
    std::vector<size_t> pos(add.size());
    for (size_t i = 0; i < add.size(); ++i)
        pos[i] = size_t(std::lower_bound(vec.begin(), vec.end(), add[i], less) - vec.begin());
    size_t hi = add.size();
    while (hi > 0) {
        size_t lo = hi - 1;
        while (lo > 0 && pos[lo - 1] == pos[hi - 1])
            --lo;
        const int first = int(pos[lo]);
        begin(first, first + int(hi - lo) - 1);
        vec.insert(vec.begin() + qsizetype(pos[lo]),
                   std::make_move_iterator(add.begin() + qsizetype(lo)),
                   std::make_move_iterator(add.begin() + qsizetype(hi)));
        end();
        hi = lo;
    }
}

// Removes `rows` (any order) from `vec`, one begin/endRemoveRows per run, back to front.
template <class T, class Begin, class End>
void removeRuns(std::vector<T>& vec, std::vector<int> rows, Begin begin, End end) {
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    size_t hi = rows.size();
    while (hi > 0) {
        size_t lo = hi - 1;
        while (lo > 0 && rows[lo - 1] == rows[lo] - 1)
            --lo;
        begin(rows[lo], rows[hi - 1]);
        vec.erase(vec.begin() + rows[lo], vec.begin() + rows[hi - 1] + 1);
        end();
        hi = lo;
    }
}

} // namespace

int EntriesModel::compareVersions(QStringView a, QStringView b) {
    return -semverCompare(a, b);
}

EntriesModel::EntriesModel(Store* store, QObject* parent)
    : QAbstractItemModel(parent)
    , m_store(store) {
    connect(store, &Store::recordsChanged, this, &EntriesModel::onRecordsChanged);
    QStringList existing;
    store->forEach(RecordKind::Entry, [&](const Record& r) { existing << recordId(r); });
    if (!existing.isEmpty())
        onRecordsChanged(RecordKind::Entry, existing, {});
}

EntriesModel::~EntriesModel() = default;

// --- structure ------------------------------------------------------------------------------

// internalId() of an index names its parent node: 0 for tenant rows, TenantNode* | 1 for
// name rows, NameNode* for version rows (nodes are 8-byte aligned, so bit 0 is free). Nodes
// live on the heap, so indexes stay valid while rows move around them.

QModelIndex EntriesModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (!parent.isValid()) {
        if (row >= int(m_tenants.size()))
            return {};
        return createIndex(row, column, quintptr(0));
    }
    if (parent.column() != 0)
        return {};
    if (parent.internalId() == 0) {
        TenantNode* t = m_tenants[size_t(parent.row())].get();
        if (row >= int(t->names.size()))
            return {};
        return createIndex(row, column, quintptr(reinterpret_cast<quintptr>(t) | 1u));
    }
    if (parent.internalId() & 1u) {
        auto* t = reinterpret_cast<TenantNode*>(parent.internalId() & ~quintptr(1));
        NameNode* n = t->names[size_t(parent.row())].get();
        if (row >= int(n->versions.size()))
            return {};
        return createIndex(row, column, reinterpret_cast<quintptr>(n));
    }
    return {};
}

QModelIndex EntriesModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || child.internalId() == 0)
        return {};
    if (child.internalId() & 1u) {
        auto* t = reinterpret_cast<TenantNode*>(child.internalId() & ~quintptr(1));
        return createIndex(tenantRow(t), 0, quintptr(0));
    }
    auto* n = reinterpret_cast<NameNode*>(child.internalId());
    return createIndex(nameRow(n), 0, quintptr(reinterpret_cast<quintptr>(n->tenant) | 1u));
}

int EntriesModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid())
        return int(m_tenants.size());
    if (parent.column() != 0)
        return 0;
    if (parent.internalId() == 0)
        return int(m_tenants[size_t(parent.row())]->names.size());
    if (parent.internalId() & 1u) {
        auto* t = reinterpret_cast<TenantNode*>(parent.internalId() & ~quintptr(1));
        return int(t->names[size_t(parent.row())]->versions.size());
    }
    return 0;
}

int EntriesModel::columnCount(const QModelIndex&) const {
    return ColumnCount;
}

int EntriesModel::tenantRow(const TenantNode* t) const {
    const auto it =
        std::lower_bound(m_tenants.begin(), m_tenants.end(), t->tenant,
                         [](const auto& node, const QString& key) { return node->tenant < key; });
    Q_ASSERT(it != m_tenants.end() && it->get() == t);
    return int(it - m_tenants.begin());
}

int EntriesModel::nameRow(const NameNode* n) const {
    const auto& names = n->tenant->names;
    const auto it =
        std::lower_bound(names.begin(), names.end(), n->name,
                         [](const auto& node, const QString& key) { return node->name < key; });
    Q_ASSERT(it != names.end() && it->get() == n);
    return int(it - names.begin());
}

EntriesModel::TenantNode* EntriesModel::findTenant(const QString& tenant) const {
    const auto it =
        std::lower_bound(m_tenants.begin(), m_tenants.end(), tenant,
                         [](const auto& node, const QString& key) { return node->tenant < key; });
    return it != m_tenants.end() && (*it)->tenant == tenant ? it->get() : nullptr;
}

EntriesModel::NameNode* EntriesModel::findName(const TenantNode* t, const QString& name) const {
    const auto it =
        std::lower_bound(t->names.begin(), t->names.end(), name,
                         [](const auto& node, const QString& key) { return node->name < key; });
    return it != t->names.end() && (*it)->name == name ? it->get() : nullptr;
}

QString EntriesModel::versionId(const NameNode* n, const QString& version) const {
    if (version.isEmpty())
        return n->tenant->tenant % u'/' % n->name;
    return n->tenant->tenant % u'/' % n->name % u'@' % version;
}

const EntryRecord* EntriesModel::entryFor(const NameNode* n, const QString& version) const {
    const Record* r = m_store->find(RecordKind::Entry, versionId(n, version));
    return r ? std::get_if<EntryRecord>(r) : nullptr;
}

const EntryRecord* EntriesModel::latestFor(const NameNode* n) const {
    if (n->alias)
        return entryFor(n, {});
    return n->versions.empty() ? nullptr : entryFor(n, n->versions.front());
}

// --- data -----------------------------------------------------------------------------------

QVariant EntriesModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return u"Name"_s;
    case VersionColumn:
        return u"Version"_s;
    case TypeColumn:
        return u"Type"_s;
    case StateColumn:
        return u"State"_s;
    case OriginColumn:
        return u"Origin"_s;
    case DescriptionColumn:
        return u"Description"_s;
    }
    return {};
}

QVariant EntriesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid())
        return {};
    const int col = index.column();
    if (index.internalId() == 0) { // tenant row
        const TenantNode* t = m_tenants[size_t(index.row())].get();
        switch (role) {
        case LevelRole:
            return 0;
        case TenantRole:
            return t->tenant;
        case Qt::DisplayRole:
        case SearchTextRole:
            if (col == NameColumn)
                return t->tenant.isEmpty() ? u"(global)"_s : t->tenant;
            if (col == VersionColumn && role == Qt::DisplayRole)
                return u"%1 names"_s.arg(t->names.size());
            return {};
        case EmphasisRole:
            return true;
        case RecordIdRole:
            return QString();
        }
        return {};
    }
    if (index.internalId() & 1u) { // name row
        auto* t = reinterpret_cast<TenantNode*>(index.internalId() & ~quintptr(1));
        const NameNode* n = t->names[size_t(index.row())].get();
        switch (role) {
        case LevelRole:
            return 1;
        case TenantRole:
            return t->tenant;
        case NameRole:
            return n->name;
        case RecordIdRole:
            return n->alias ? versionId(n, {}) : QString();
        case SearchTextRole: {
            const EntryRecord* e = latestFor(n);
            return QString(n->name % u' ' %
                           QStringList(n->versions.begin(), n->versions.end()).join(u' ') % u' ' %
                           (e ? e->type : QString()));
        }
        case StateRole: {
            const EntryRecord* e = latestFor(n);
            if (e && e->deprecated)
                return int(ItemState::Deprecated);
            return n->alias ? QVariant(int(ItemState::Info)) : QVariant();
        }
        case Qt::DisplayRole: {
            const EntryRecord* e = latestFor(n);
            switch (col) {
            case NameColumn:
                return n->name;
            case VersionColumn:
                return n->alias ? QString() : n->versions.empty() ? QString() : n->versions.front();
            case TypeColumn:
                return e ? e->type : QString();
            case StateColumn:
                if (n->alias && e)
                    return QString(u"alias → "_s % e->aliasOf);
                if (e && e->deprecated)
                    return u"deprecated"_s;
                return n->versions.size() > 1 ? u"%1 versions"_s.arg(n->versions.size())
                                              : QString();
            case OriginColumn:
                return e ? e->origin : QString();
            case DescriptionColumn:
                return e ? (n->alias ? e->deprecationMessage : e->description) : QString();
            }
            return {};
        }
        }
        return {};
    }
    // version row
    const auto* n = reinterpret_cast<const NameNode*>(index.internalId());
    const QString& version = n->versions[size_t(index.row())];
    switch (role) {
    case LevelRole:
        return 2;
    case TenantRole:
        return n->tenant->tenant;
    case NameRole:
        return n->name;
    case RecordIdRole:
        return versionId(n, version);
    case SearchTextRole: {
        const EntryRecord* e = entryFor(n, version);
        return QString(n->name % u' ' % version % u' ' % (e ? e->type : QString()));
    }
    case StateRole: {
        const EntryRecord* e = entryFor(n, version);
        if (e && e->deprecated)
            return int(ItemState::Deprecated);
        return {};
    }
    case Qt::DisplayRole: {
        if (col == NameColumn || col == VersionColumn)
            return version;
        const EntryRecord* e = entryFor(n, version);
        if (!e)
            return {};
        switch (col) {
        case TypeColumn:
            return e->type;
        case StateColumn:
            return e->deprecated ? u"deprecated"_s : u"active"_s;
        case OriginColumn:
            return e->origin;
        case DescriptionColumn:
            return e->description;
        }
        return {};
    }
    }
    return {};
}

std::vector<EntryRecord> EntriesModel::recordsAt(const QModelIndex& index) const {
    std::vector<EntryRecord> out;
    if (!index.isValid())
        return out;
    auto addName = [&](const NameNode* n) {
        if (n->alias) {
            if (const EntryRecord* e = entryFor(n, {}))
                out.push_back(*e);
        }
        for (const QString& v : n->versions) {
            if (const EntryRecord* e = entryFor(n, v))
                out.push_back(*e);
        }
    };
    if (index.internalId() == 0) {
        for (const auto& n : m_tenants[size_t(index.row())]->names)
            addName(n.get());
    } else if (index.internalId() & 1u) {
        auto* t = reinterpret_cast<TenantNode*>(index.internalId() & ~quintptr(1));
        addName(t->names[size_t(index.row())].get());
    } else {
        const auto* n = reinterpret_cast<const NameNode*>(index.internalId());
        if (const EntryRecord* e = entryFor(n, n->versions[size_t(index.row())]))
            out.push_back(*e);
    }
    return out;
}

QModelIndex EntriesModel::indexOf(const QString& id) const {
    const Record* r = m_store->find(RecordKind::Entry, id);
    const auto* e = r ? std::get_if<EntryRecord>(r) : nullptr;
    if (!e)
        return {};
    const TenantNode* t = findTenant(e->tenant);
    const NameNode* n = t ? findName(t, e->name) : nullptr;
    if (!n)
        return {};
    const QModelIndex nameIndex =
        createIndex(nameRow(n), 0, quintptr(reinterpret_cast<quintptr>(t) | 1u));
    if (!e->aliasOf.isEmpty())
        return nameIndex;
    const auto it = std::find(n->versions.begin(), n->versions.end(), e->version);
    if (it == n->versions.end())
        return {};
    return index(int(it - n->versions.begin()), 0, nameIndex);
}

// --- updates --------------------------------------------------------------------------------

void EntriesModel::emitChangedRuns(const QModelIndex& parent, std::vector<int> rows) {
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    size_t i = 0;
    while (i < rows.size()) {
        size_t j = i;
        while (j + 1 < rows.size() && rows[j + 1] == rows[j] + 1)
            ++j;
        Q_EMIT dataChanged(index(rows[i], 0, parent), index(rows[j], ColumnCount - 1, parent));
        i = j + 1;
    }
}

void EntriesModel::applyRemovals(const QStringList& removed) {
    if (removed.isEmpty())
        return;
    // Work out what goes, per node, before touching anything.
    QHash<NameNode*, std::vector<int>> versionRows;
    QHash<NameNode*, bool> aliasGone;
    for (const QString& id : removed) {
        const qsizetype slash = id.indexOf(u'/');
        if (slash < 0)
            continue;
        TenantNode* t = findTenant(id.first(slash));
        if (!t)
            continue;
        const QString rest = id.sliced(slash + 1);
        if (NameNode* n = findName(t, rest); n && n->alias) {
            aliasGone[n] = true;
            --m_entryCount;
            continue;
        }
        const qsizetype at = rest.lastIndexOf(u'@');
        if (at < 0)
            continue;
        NameNode* n = findName(t, rest.first(at));
        if (!n)
            continue;
        const QString version = rest.sliced(at + 1);
        const auto it = std::find(n->versions.begin(), n->versions.end(), version);
        if (it == n->versions.end())
            continue;
        versionRows[n].push_back(int(it - n->versions.begin()));
        --m_entryCount;
    }
    QHash<TenantNode*, std::vector<int>> nameRows;
    QHash<TenantNode*, std::vector<int>> changedNames;
    QSet<TenantNode*> affected;
    auto collect = [&](NameNode* n) {
        affected.insert(n->tenant);
        std::vector<int>& rows = versionRows[n];
        std::sort(rows.begin(), rows.end());
        rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
        const bool aliasLeft = n->alias && !aliasGone.value(n);
        if (!aliasLeft && rows.size() == n->versions.size())
            nameRows[n->tenant].push_back(nameRow(n));
        else
            changedNames[n->tenant].push_back(nameRow(n));
    };
    for (auto it = versionRows.begin(); it != versionRows.end(); ++it)
        collect(it.key());
    for (auto it = aliasGone.begin(); it != aliasGone.end(); ++it) {
        if (!versionRows.contains(it.key()))
            collect(it.key());
    }
    // Version rows of names that stay.
    for (auto it = versionRows.begin(); it != versionRows.end(); ++it) {
        NameNode* n = it.key();
        const bool aliasLeft = n->alias && !aliasGone.value(n);
        if (!aliasLeft && it.value().size() == n->versions.size())
            continue; // the whole name goes below
        const QModelIndex parent =
            createIndex(nameRow(n), 0, quintptr(reinterpret_cast<quintptr>(n->tenant) | 1u));
        removeRuns(
            n->versions, it.value(),
            [&](int first, int last) { beginRemoveRows(parent, first, last); },
            [&] { endRemoveRows(); });
    }
    for (auto it = aliasGone.begin(); it != aliasGone.end(); ++it)
        it.key()->alias = false;
    // Whole names, then whole tenants.
    std::vector<int> tenantRows;
    QSet<TenantNode*> tenantsGone;
    for (auto it = nameRows.begin(); it != nameRows.end(); ++it) {
        TenantNode* t = it.key();
        auto rows = it.value();
        std::sort(rows.begin(), rows.end());
        rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
        if (rows.size() == t->names.size()) {
            tenantRows.push_back(tenantRow(t));
            tenantsGone.insert(t);
            continue;
        }
        const QModelIndex parent = createIndex(tenantRow(t), 0, quintptr(0));
        removeRuns(
            t->names, rows, [&](int first, int last) { beginRemoveRows(parent, first, last); },
            [&] { endRemoveRows(); });
    }
    removeRuns(
        m_tenants, tenantRows, [&](int first, int last) { beginRemoveRows({}, first, last); },
        [&] { endRemoveRows(); });
    // Names that lost a version or their alias but stay: their summary changed.
    for (auto it = changedNames.begin(); it != changedNames.end(); ++it) {
        TenantNode* t = it.key();
        if (tenantsGone.contains(t))
            continue;
        std::vector<int> rows;
        for (const auto& n : t->names) {
            if (versionRows.contains(n.get()) || aliasGone.contains(n.get()))
                rows.push_back(nameRow(n.get()));
        }
        emitChangedRuns(createIndex(tenantRow(t), 0, quintptr(0)), rows);
    }
    std::vector<int> tenantsChanged;
    for (TenantNode* t : std::as_const(affected)) {
        if (!tenantsGone.contains(t))
            tenantsChanged.push_back(tenantRow(t));
    }
    emitChangedRuns({}, std::move(tenantsChanged));
}

void EntriesModel::onRecordsChanged(RecordKind kind, const QStringList& upserted,
                                    const QStringList& removed) {
    Q_ASSERT(QThread::currentThread() == thread());
    if (kind != RecordKind::Entry)
        return;
    applyRemovals(removed);
    if (upserted.isEmpty())
        return;

    // The records themselves (stable while this slot runs): no copies, no lookups when the
    // store hands them over with the ids.
    std::vector<const EntryRecord*> items;
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
    // Same string data (versions of one name usually share it) compares equal at once.
    const auto cmp = [](const QString& a, const QString& b) {
        return a.constData() == b.constData() && a.size() == b.size() ? 0
                                                                      : QStringView(a).compare(b);
    };
    const auto groupLess = [&](const EntryRecord* a, const EntryRecord* b) {
        if (const int c = cmp(a->tenant, b->tenant))
            return c < 0;
        return cmp(a->name, b->name) < 0;
    };
    // Group by (tenant, name): sort the distinct names only (a third of the records when names
    // have three versions), then place the records by their group's rank. Snapshots usually
    // come sorted already; that costs one pass.
    if (!std::is_sorted(items.begin(), items.end(), groupLess)) {
        std::vector<quint32> group(items.size());
        std::vector<const EntryRecord*> firstOf;
        QHash<QString, QHash<QString, quint32>> index;
        QHash<QString, quint32>* tenantIndex = nullptr;
        const QString* lastTenant = nullptr;
        for (size_t i = 0; i < items.size(); ++i) {
            const EntryRecord* e = items[i];
            if (!lastTenant || cmp(*lastTenant, e->tenant) != 0) {
                tenantIndex = &index[e->tenant];
                lastTenant = &e->tenant;
            }
            const auto it = tenantIndex->constFind(e->name);
            if (it != tenantIndex->cend()) {
                group[i] = it.value();
            } else {
                group[i] = quint32(firstOf.size());
                tenantIndex->insert(e->name, group[i]);
                firstOf.push_back(e);
            }
        }
        // Sort keys laid out flat: one pointer hop (to the characters) per comparison.
        struct Key {
            QStringView tenant;
            QStringView name;
            quint32 group;
        };
        std::vector<Key> keys(firstOf.size());
        for (quint32 g = 0; g < keys.size(); ++g)
            keys[g] = {firstOf[g]->tenant, firstOf[g]->name, g};
        std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
            if (const int c = a.tenant.compare(b.tenant))
                return c < 0;
            return a.name.compare(b.name) < 0;
        });
        std::vector<quint32> start(keys.size() + 1, 0);
        std::vector<quint32> rank(keys.size());
        for (quint32 k = 0; k < keys.size(); ++k)
            rank[keys[k].group] = k;
        for (const quint32 g : group)
            ++start[rank[g] + 1];
        for (size_t k = 1; k < start.size(); ++k)
            start[k] += start[k - 1];
        std::vector<const EntryRecord*> placed(items.size());
        for (size_t i = 0; i < items.size(); ++i)
            placed[start[rank[group[i]]]++] = items[i];
        items.swap(placed);
    }

    const auto nameLess = [](const std::unique_ptr<NameNode>& a,
                             const std::unique_ptr<NameNode>& b) { return a->name < b->name; };
    const auto versionLess = [](const QString& a, const QString& b) {
        return compareVersions(a, b) < 0;
    };
    std::vector<std::unique_ptr<TenantNode>> newTenants;
    std::vector<TenantNode*> changedTenants;

    size_t i = 0;
    while (i < items.size()) {
        const QString& tenant = items[i]->tenant;
        size_t tenantEnd = i;
        while (tenantEnd < items.size() && items[tenantEnd]->tenant == tenant)
            ++tenantEnd;
        TenantNode* t = findTenant(tenant);
        std::unique_ptr<TenantNode> fresh;
        if (!t) {
            fresh = std::make_unique<TenantNode>();
            fresh->tenant = tenant;
            t = fresh.get();
        }
        std::vector<std::unique_ptr<NameNode>> newNames;
        std::vector<NameNode*> changedNames;                        // existing, summary changed
        std::vector<std::pair<NameNode*, QString>> changedVersions; // existing rows
        size_t j = i;
        while (j < tenantEnd) {
            const QString& name = items[j]->name;
            size_t nameEnd = j;
            while (nameEnd < tenantEnd && items[nameEnd]->name == name)
                ++nameEnd;
            NameNode* n = fresh ? nullptr : findName(t, name);
            if (!n) {
                auto node = std::make_unique<NameNode>();
                node->tenant = t;
                node->name = name;
                for (size_t k = j; k < nameEnd; ++k) {
                    if (!items[k]->aliasOf.isEmpty())
                        node->alias = true;
                    else
                        node->versions.push_back(items[k]->version);
                    ++m_entryCount;
                }
                if (!std::is_sorted(node->versions.begin(), node->versions.end(), versionLess))
                    std::sort(node->versions.begin(), node->versions.end(), versionLess);
                newNames.push_back(std::move(node));
            } else {
                std::vector<QString> newVersions;
                for (size_t k = j; k < nameEnd; ++k) {
                    const QString& v = items[k]->version;
                    if (!items[k]->aliasOf.isEmpty()) {
                        if (!n->alias)
                            ++m_entryCount;
                        n->alias = true;
                    } else if (std::find(n->versions.begin(), n->versions.end(), v) !=
                               n->versions.end()) {
                        changedVersions.emplace_back(n, v);
                    } else {
                        newVersions.push_back(v);
                        ++m_entryCount;
                    }
                }
                changedNames.push_back(n);
                if (!newVersions.empty()) {
                    std::sort(newVersions.begin(), newVersions.end(), versionLess);
                    const QModelIndex parent =
                        createIndex(nameRow(n), 0, quintptr(reinterpret_cast<quintptr>(t) | 1u));
                    insertRuns(
                        n->versions, newVersions, versionLess,
                        [&](int first, int last) { beginInsertRows(parent, first, last); },
                        [&] { endInsertRows(); });
                }
            }
            j = nameEnd;
        }
        if (fresh) {
            fresh->names = std::move(newNames);
            newTenants.push_back(std::move(fresh));
        } else {
            const QModelIndex parent = createIndex(tenantRow(t), 0, quintptr(0));
            insertRuns(
                t->names, newNames, nameLess,
                [&](int first, int last) { beginInsertRows(parent, first, last); },
                [&] { endInsertRows(); });
            // Existing rows whose record changed, by parent.
            QHash<NameNode*, std::vector<int>> versionRows;
            for (const auto& [n, v] : changedVersions) {
                const auto it = std::find(n->versions.begin(), n->versions.end(), v);
                versionRows[n].push_back(int(it - n->versions.begin()));
            }
            for (auto it = versionRows.begin(); it != versionRows.end(); ++it) {
                NameNode* n = it.key();
                emitChangedRuns(
                    createIndex(nameRow(n), 0, quintptr(reinterpret_cast<quintptr>(t) | 1u)),
                    it.value());
            }
            std::vector<int> nameRowsChanged;
            nameRowsChanged.reserve(changedNames.size());
            for (NameNode* n : changedNames)
                nameRowsChanged.push_back(nameRow(n));
            emitChangedRuns(parent, std::move(nameRowsChanged));
            changedTenants.push_back(t);
        }
        i = tenantEnd;
    }
    const auto tenantLess = [](const std::unique_ptr<TenantNode>& a,
                               const std::unique_ptr<TenantNode>& b) {
        return a->tenant < b->tenant;
    };
    insertRuns(
        m_tenants, newTenants, tenantLess,
        [&](int first, int last) { beginInsertRows({}, first, last); }, [&] { endInsertRows(); });
    std::vector<int> rows; // after the new tenants went in
    for (const TenantNode* t : changedTenants)
        rows.push_back(tenantRow(t));
    emitChangedRuns({}, std::move(rows));
}

} // namespace regscope
