#include "models/SourcesModel.h"

#include "models/ItemRoles.h"
#include "models/Store.h"

using namespace Qt::StringLiterals;

namespace regscope {

void SourcesModel::addSource(const QString& url, Store* store, bool inPanels) {
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows.push_back({url, store, inPanels});
    endInsertRows();
    // One row repaint per flush at most (40 a second), and on every health move.
    connect(store, &Store::flushed, this, [this, store] { refreshStore(store); });
    connect(store, &Store::healthChanged, this, [this, store] { refreshStore(store); });
}

void SourcesModel::removeSource(int row) {
    if (row < 0 || row >= int(m_rows.size()))
        return;
    if (const Store* store = m_rows[size_t(row)].store)
        disconnect(store, nullptr, this, nullptr);
    beginRemoveRows({}, row, row);
    m_rows.erase(m_rows.begin() + row);
    endRemoveRows();
}

void SourcesModel::setUrl(int row, const QString& url) {
    if (row < 0 || row >= int(m_rows.size()) || m_rows[size_t(row)].url == url)
        return;
    m_rows[size_t(row)].url = url;
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

int SourcesModel::rowOfStore(const Store* store) const {
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].store == store)
            return int(i);
    return -1;
}

QString SourcesModel::urlAt(int row) const {
    return row >= 0 && row < int(m_rows.size()) ? m_rows[size_t(row)].url : QString();
}

Store* SourcesModel::storeAt(int row) const {
    return row >= 0 && row < int(m_rows.size()) ? m_rows[size_t(row)].store.data() : nullptr;
}

bool SourcesModel::inPanels(int row) const {
    return row >= 0 && row < int(m_rows.size()) && m_rows[size_t(row)].inPanels;
}

int SourcesModel::countIn(HealthState state) const {
    int n = 0;
    for (const Row& r : m_rows)
        n += r.store && r.store->health().state == state;
    return n;
}

void SourcesModel::refreshStore(const Store* store) {
    const int row = rowOfStore(store);
    if (row >= 0)
        Q_EMIT dataChanged(index(row, StateColumn), index(row, ColumnCount - 1));
}

int SourcesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SourcesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

namespace {
ItemState stateOf(HealthState h) {
    switch (h) {
    case HealthState::Live:
        return ItemState::Healthy;
    case HealthState::Degraded:
        return ItemState::Warning;
    case HealthState::Down:
        return ItemState::Down;
    case HealthState::Connecting:
        return ItemState::Unknown;
    }
    return ItemState::Normal;
}
} // namespace

QVariant SourcesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row& r = m_rows[size_t(index.row())];
    if (role == UrlRole)
        return r.url;
    if (!r.store)
        return {};
    const SourceHealth h = r.store->health();
    if (role == StateRole && index.column() == StateColumn)
        return int(stateOf(h.state));
    if (role == EmphasisRole && index.column() == SourceColumn)
        return r.inPanels;
    if (role == Qt::ToolTipRole)
        return h.reason.isEmpty() ? r.url : r.url % u"\n"_s % h.reason;
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case SourceColumn:
        return r.url;
    case StateColumn:
        return toString(h.state);
    case EntriesColumn:
        return r.store->count(RecordKind::Entry);
    case InstancesColumn:
        return r.store->count(RecordKind::Instance);
    case KeysColumn:
        return r.store->count(RecordKind::Key);
    case ShownColumn:
        return r.inPanels ? u"in the panels"_s : QString();
    case ReasonColumn:
        return h.reason;
    }
    return {};
}

QVariant SourcesModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const names[] = {"Source", "State", "Entries", "Instances",
                                        "Keys",   "Shown", "Reason"};
    return section >= 0 && section < ColumnCount ? QString::fromLatin1(names[section]) : QVariant();
}

} // namespace regscope
