#include "models/etcd/EtcdClusterModel.h"

#include "models/ItemRoles.h"
#include "models/Store.h"

#include <QLocale>
#include <QThread>

using namespace Qt::StringLiterals;

namespace regscope {

void EtcdClusterModel::setStore(const Store* store) {
    connect(store, &Store::clusterSampled, this, &EtcdClusterModel::update);
    connect(store, &Store::cleared, this, &EtcdClusterModel::clear);
    if (!store->clusterHistory().empty())
        update(store->clusterHistory().back());
}

void EtcdClusterModel::clear() {
    // A new source: nothing of the old cluster may stay on screen (one reset per switch).
    beginResetModel();
    m_members.clear();
    m_leader = 0;
    m_endpoint.clear();
    endResetModel();
}

void EtcdClusterModel::update(const ClusterSample& info) {
    Q_ASSERT(QThread::currentThread() == thread());
    std::vector<ClusterMember> next = info.members;
    std::sort(next.begin(), next.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    const bool leaderChanged = info.leaderId != m_leader || info.endpointInUse != m_endpoint;
    m_leader = info.leaderId;
    m_endpoint = info.endpointInUse;
    // Sorted merge: removals, changes and inserts as targeted row operations.
    size_t i = 0, j = 0;
    while (i < m_members.size() || j < next.size()) {
        if (j >= next.size() || (i < m_members.size() && m_members[i].id < next[j].id)) {
            const int row = static_cast<int>(i);
            beginRemoveRows({}, row, row);
            m_members.erase(m_members.begin() + row);
            endRemoveRows();
        } else if (i >= m_members.size() || next[j].id < m_members[i].id) {
            const int row = static_cast<int>(i);
            beginInsertRows({}, row, row);
            m_members.insert(m_members.begin() + row, next[j]);
            endInsertRows();
            ++i;
            ++j;
        } else {
            if (!(m_members[i] == next[j]) || leaderChanged) {
                m_members[i] = next[j];
                const int row = static_cast<int>(i);
                Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
            }
            ++i;
            ++j;
        }
    }
}

int EtcdClusterModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_members.size());
}

int EtcdClusterModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EtcdClusterModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ClusterMember& m = m_members[static_cast<size_t>(index.row())];
    const bool leader = m.id == m_leader && m_leader != 0;
    const QLocale locale;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return m.name;
        case IdColumn:
            return QString::number(m.id, 16);
        case RoleColumn:
            return leader ? u"leader"_s : m.isLearner ? u"learner"_s : u"follower"_s;
        case ClientUrlsColumn:
            return m.clientUrls.join(u", "_s);
        case VersionColumn:
            return m.version;
        case DbSizeColumn:
            return m.reachable ? locale.formattedDataSize(m.dbSize) : QString();
        case DbInUseColumn:
            return m.reachable ? locale.formattedDataSize(m.dbSizeInUse) : QString();
        case RaftIndexColumn:
            return m.reachable ? QVariant(m.raftIndex) : QVariant();
        case RaftTermColumn:
            return m.reachable ? QVariant(m.raftTerm) : QVariant();
        case StatusColumn:
            if (!m.reachable)
                return QString(u"unreachable: "_s + m.error);
            return m.error.isEmpty() ? u"ok"_s : m.error;
        }
        return {};
    case EmphasisRole:
        return leader;
    case RowStateRole:
        return m.reachable ? QVariant() : QVariant(int(ItemState::Crashed));
    case MemberIdRole:
        return m.id;
    case IsLeaderRole:
        return leader;
    case ReachableRole:
        return m.reachable;
    default:
        return {};
    }
}

QVariant EtcdClusterModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const names[] = {"Name",      "ID",      "Role",      "Client URLs",
                                        "Version",   "DB size", "DB in use", "Raft index",
                                        "Raft term", "Status"};
    if (section < 0 || section >= ColumnCount)
        return {};
    return QString::fromLatin1(names[section]);
}

} // namespace regscope
