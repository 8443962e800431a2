#include "models/etcd/EtcdKeysModel.h"

#include "models/ItemRoles.h"
#include "models/Store.h"
#include "models/etcd/EtcdIds.h"

#include <QDateTime>
#include <QThread>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

bool keyLess(const KeyRecord& a, const QByteArray& b) {
    return a.key < b;
}

} // namespace

EtcdKeysModel::EtcdKeysModel(QObject* parent)
    : EtcdKeysModel(Options{}, parent) {}

EtcdKeysModel::EtcdKeysModel(Options options, QObject* parent)
    : QAbstractTableModel(parent)
    , m_options(std::move(options)) {
    if (!m_options.nowMs)
        m_options.nowMs = [] { return QDateTime::currentMSecsSinceEpoch(); };
    m_tick.setInterval(m_options.countdownIntervalMs);
    connect(&m_tick, &QTimer::timeout, this, &EtcdKeysModel::tick);
    m_tick.start();
}

EtcdKeysModel::~EtcdKeysModel() = default;

void EtcdKeysModel::setStore(const Store* store) {
    Q_ASSERT(QThread::currentThread() == thread());
    disconnect(m_storeConnection);
    disconnect(m_leaseConnection);
    m_store = store;
    if (!m_rows.empty()) { // rows of another store (or state): gone, without reading them
        beginRemoveRows({}, 0, static_cast<int>(m_rows.size()) - 1);
        m_rows.clear();
        endRemoveRows();
    }
    if (!store)
        return;
    m_storeConnection =
        connect(store, &Store::recordsChanged, this, &EtcdKeysModel::onStoreChanged);
    m_leaseConnection = connect(store, &Store::leasesUpdated, this, &EtcdKeysModel::updateLeases);
    std::vector<Row> rows;
    rows.reserve(static_cast<size_t>(store->count(RecordKind::Key)));
    store->forEach(RecordKind::Key, [&](const Record& r) {
        rows.push_back(Row{&std::get<KeyRecord>(r), {}});
    });
    applyRows(std::move(rows), {}, true);
    if (!store->leases().isEmpty())
        updateLeases(store->leases().values());
}

// Rows point at the store's records, which stay put while alive and are updated in place
// (Store::recordsChanged): no copy of a million keys.
void EtcdKeysModel::onStoreChanged(RecordKind kind, const QStringList& upserted,
                                   const QStringList& removed) {
    if (kind != RecordKind::Key || !m_store)
        return;
    std::vector<Row> ups;
    ups.reserve(static_cast<size_t>(upserted.size()));
    const std::vector<const Record*>& given = m_store->changedRecords(RecordKind::Key);
    if (static_cast<qsizetype>(given.size()) == upserted.size()) {
        for (const Record* r : given)
            if (const auto* kv = std::get_if<KeyRecord>(r))
                ups.push_back(Row{kv, {}});
    } else {
        for (const QString& id : upserted)
            if (const auto* kv = std::get_if<KeyRecord>(m_store->find(RecordKind::Key, id)))
                ups.push_back(Row{kv, {}});
    }
    applyRows(std::move(ups), removed, true);
}

std::vector<EtcdKeysModel::Row>::iterator EtcdKeysModel::lowerBound(const QByteArray& key) {
    return std::lower_bound(m_rows.begin(), m_rows.end(), key,
                            [](const Row& r, const QByteArray& k) { return keyLess(*r.kv, k); });
}

int EtcdKeysModel::rowOf(const QByteArray& key) const {
    auto it = std::lower_bound(m_rows.begin(), m_rows.end(), key,
                               [](const Row& r, const QByteArray& k) { return keyLess(*r.kv, k); });
    if (it == m_rows.end() || it->kv->key != key)
        return -1;
    return static_cast<int>(it - m_rows.begin());
}

const KeyRecord* EtcdKeysModel::recordAt(int row) const {
    if (row < 0 || row >= static_cast<int>(m_rows.size()))
        return nullptr;
    return m_rows[static_cast<size_t>(row)].kv;
}

void EtcdKeysModel::emitRuns(std::vector<int> rows, int firstColumn, int lastColumn) {
    if (rows.empty())
        return;
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    size_t start = 0;
    for (size_t i = 1; i <= rows.size(); ++i) {
        if (i == rows.size() || rows[i] != rows[i - 1] + 1) {
            Q_EMIT dataChanged(index(rows[start], firstColumn), index(rows[i - 1], lastColumn));
            start = i;
        }
    }
}

void EtcdKeysModel::applyChanges(std::vector<KeyRecord> upserts, const QStringList& removedIds) {
    std::vector<Row> rows;
    rows.reserve(upserts.size());
    for (KeyRecord& kv : upserts) {
        auto own = std::make_unique<KeyRecord>(std::move(kv));
        const KeyRecord* at = own.get();
        rows.push_back(Row{at, std::move(own)});
    }
    applyRows(std::move(rows), removedIds, false);
}

void EtcdKeysModel::removeRows(const QStringList& removedIds) {
    // One beginRemoveRows per run, from the back so indexes stay valid.
    std::vector<int> gone;
    for (const QString& id : removedIds) {
        int row = rowOf(id.toUtf8());
        if (row < 0) { // a key that is not UTF-8: its id does not round-trip
            for (size_t i = 0; i < m_rows.size(); ++i)
                if (recordId(*m_rows[i].kv) == id) {
                    row = static_cast<int>(i);
                    break;
                }
        }
        if (row >= 0)
            gone.push_back(row);
    }
    std::sort(gone.begin(), gone.end());
    gone.erase(std::unique(gone.begin(), gone.end()), gone.end());
    for (size_t end = gone.size(); end > 0;) {
        size_t begin = end - 1;
        while (begin > 0 && gone[begin - 1] + 1 == gone[begin])
            --begin;
        const int first = gone[begin], last = gone[end - 1];
        beginRemoveRows({}, first, last);
        m_rows.erase(m_rows.begin() + first, m_rows.begin() + last + 1);
        endRemoveRows();
        end = begin;
    }
}

// `fromStore`: the rows point at the store's records, and an upsert of a key already shown
// always changed it (the store says only what changed, and may have changed it in place).
void EtcdKeysModel::applyRows(std::vector<Row> upserts, const QStringList& removedIds,
                              bool fromStore) {
    Q_ASSERT(QThread::currentThread() == thread());
    removeRows(removedIds);

    // Changes in place; new keys collected.
    std::vector<int> changed;
    std::vector<Row> fresh;
    fresh.reserve(m_rows.empty() ? upserts.size() : 0);
    for (Row& in : upserts) {
        const QByteArray& key = in.kv->key;
        // Past the last row (a first load comes in key order): new, no search.
        auto it = m_rows.empty() || m_rows.back().kv->key < key ? m_rows.end() : lowerBound(key);
        if (it != m_rows.end() && it->kv->key == key) {
            if (!fromStore && *it->kv == *in.kv)
                continue;
            it->kind = kUnclassified; // classified when first shown
            it->kv = in.kv;
            it->own = std::move(in.own);
            changed.push_back(static_cast<int>(it - m_rows.begin()));
        } else {
            fresh.push_back(std::move(in));
        }
    }
    emitRuns(std::move(changed), 0, ColumnCount - 1);
    insertRows(std::move(fresh));
}

// Inserts: sorted, grouped by insert position, applied from the back.
void EtcdKeysModel::insertRows(std::vector<Row> fresh) {
    if (fresh.empty())
        return;
    const auto rowLess = [](const Row& a, const Row& b) { return a.kv->key < b.kv->key; };
    if (!std::is_sorted(fresh.begin(), fresh.end(), rowLess))
        std::stable_sort(fresh.begin(), fresh.end(), rowLess);
    // Same key twice in one batch: the last one wins (in place: a 1M-key snapshot is big).
    size_t kept = 0;
    for (size_t i = 0; i < fresh.size(); ++i) {
        if (kept > 0 && fresh[kept - 1].kv->key == fresh[i].kv->key)
            fresh[kept - 1] = std::move(fresh[i]);
        else if (kept != i)
            fresh[kept++] = std::move(fresh[i]);
        else
            ++kept;
    }
    fresh.resize(kept);
    std::vector<Row>& unique = fresh;
    if (m_rows.empty() || m_rows.back().kv->key < unique.front().kv->key) { // all at the end
        const int pos = static_cast<int>(m_rows.size());
        beginInsertRows({}, pos, pos + static_cast<int>(unique.size()) - 1);
        if (m_rows.empty())
            m_rows = std::move(unique);
        else
            m_rows.insert(m_rows.end(), std::make_move_iterator(unique.begin()),
                          std::make_move_iterator(unique.end()));
        endInsertRows();
        return;
    }
    std::vector<int> positions(unique.size());
    for (size_t i = 0; i < unique.size(); ++i)
        positions[i] = static_cast<int>(lowerBound(unique[i].kv->key) - m_rows.begin());
    for (size_t end = unique.size(); end > 0;) {
        size_t begin = end - 1;
        while (begin > 0 && positions[begin - 1] == positions[begin])
            --begin;
        const int pos = positions[begin];
        const int n = static_cast<int>(end - begin);
        beginInsertRows({}, pos, pos + n - 1);
        m_rows.insert(m_rows.begin() + pos, std::make_move_iterator(unique.begin() + begin),
                      std::make_move_iterator(unique.begin() + end));
        endInsertRows();
        end = begin;
    }
}

void EtcdKeysModel::setState(std::vector<KeyRecord> state) {
    std::sort(state.begin(), state.end(),
              [](const KeyRecord& a, const KeyRecord& b) { return a.key < b.key; });
    QStringList removed;
    size_t j = 0;
    for (const Row& r : m_rows) {
        while (j < state.size() && state[j].key < r.kv->key)
            ++j;
        if (j >= state.size() || state[j].key != r.kv->key)
            removed.append(recordId(*r.kv));
    }
    applyChanges(std::move(state), removed);
}

void EtcdKeysModel::updateLeases(const QList<LeaseInfo>& leases) {
    Q_ASSERT(QThread::currentThread() == thread());
    for (const LeaseInfo& l : leases)
        m_leases.insert(l.id, l);
    // Bound: forget leases no key uses any more.
    if (m_leases.size() > static_cast<qsizetype>(m_rows.size()) + 1024) {
        QSet<qint64> used;
        for (const Row& r : m_rows)
            if (r.kv->lease)
                used.insert(r.kv->lease);
        for (auto it = m_leases.begin(); it != m_leases.end();)
            it = used.contains(it.key()) ? std::next(it) : m_leases.erase(it);
    }
    std::vector<int> rows;
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].kv->lease != 0)
            rows.push_back(static_cast<int>(i));
    emitRuns(std::move(rows), LeaseColumn, TtlColumn);
}

void EtcdKeysModel::tick() {
    std::vector<int> rows;
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].kv->lease != 0 && m_leases.contains(m_rows[i].kv->lease))
            rows.push_back(static_cast<int>(i));
    emitRuns(std::move(rows), TtlColumn, TtlColumn);
}

const LeaseInfo* EtcdKeysModel::lease(qint64 id) const {
    const auto it = m_leases.constFind(id);
    return it == m_leases.constEnd() ? nullptr : &*it;
}

qint64 EtcdKeysModel::ttlRemaining(const KeyRecord& kv) const {
    const LeaseInfo* l = kv.lease ? lease(kv.lease) : nullptr;
    if (!l)
        return -1;
    if (l->ttl < 0)
        return 0;
    const qint64 elapsedMs = m_options.nowMs() - l->fetchedAtMs;
    return std::max<qint64>(0, l->ttl - elapsedMs / 1000);
}

bool EtcdKeysModel::expiringSoon(const KeyRecord& kv) const {
    const qint64 left = ttlRemaining(kv);
    if (left < 0)
        return false;
    const LeaseInfo* l = lease(kv.lease);
    return left <= m_options.expiringSoonSeconds || (l && left * 5 <= l->grantedTtl);
}

EtcdValueKind EtcdKeysModel::valueKind(const Row& row) const {
    if (row.kind == kUnclassified)
        row.kind = static_cast<quint8>(classifyEtcdValue(row.kv->value));
    return static_cast<EtcdValueKind>(row.kind);
}

int EtcdKeysModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int EtcdKeysModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EtcdKeysModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows[static_cast<size_t>(index.row())];
    const KeyRecord& kv = *row.kv;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case KeyColumn:
            return etcdKeyDisplay(kv.key);
        case ValueColumn:
            return etcdValuePreview(kv.value, valueKind(row));
        case LeaseColumn:
            return kv.lease ? etcdLeaseText(kv.lease) : QString();
        case TtlColumn: {
            if (!kv.lease)
                return QString();
            const qint64 left = ttlRemaining(kv);
            if (left < 0)
                return u"…"_s;
            const LeaseInfo* l = lease(kv.lease);
            if (l && l->ttl < 0)
                return u"expired"_s;
            return QString(QString::number(left) + u" / "_s +
                           QString::number(l ? l->grantedTtl : 0) + u" s"_s);
        }
        case ModRevisionColumn:
            return kv.modRevision;
        case CreateRevisionColumn:
            return kv.createRevision;
        case VersionColumn:
            return kv.version;
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == ValueColumn)
            return etcdValuePretty(kv.value, valueKind(row)).left(4000);
        if (index.column() == TtlColumn && kv.lease) {
            if (const LeaseInfo* l = lease(kv.lease))
                return QString(u"lease "_s + etcdLeaseText(kv.lease) + u" holds "_s +
                               QString::number(l->keys.size()) + u" key(s)"_s);
        }
        return {};
    case RowStateRole:
        if (expiringSoon(kv))
            return int(ItemState::Expiring);
        return {};
    case KeyBytesRole:
        return kv.key;
    case ValueBytesRole:
        return kv.value;
    case ValueKindRole:
        return static_cast<int>(valueKind(row));
    case PrettyValueRole:
        return etcdValuePretty(kv.value, valueKind(row));
    case TtlRemainingRole:
        return ttlRemaining(kv);
    case ExpiringSoonRole:
        return expiringSoon(kv);
    case LeaseIdRole:
        return kv.lease;
    default:
        return {};
    }
}

QVariant EtcdKeysModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case KeyColumn:
        return u"Key"_s;
    case ValueColumn:
        return u"Value"_s;
    case LeaseColumn:
        return u"Lease"_s;
    case TtlColumn:
        return u"TTL left"_s;
    case ModRevisionColumn:
        return u"Mod rev"_s;
    case CreateRevisionColumn:
        return u"Create rev"_s;
    case VersionColumn:
        return u"Version"_s;
    }
    return {};
}

} // namespace regscope
