// InstanceModel keeps its rows sorted itself (apps by appid, instances by the sort column),
// so the filter proxy in front of it never sorts: a sorted QSortFilterProxyModel turns one
// removal of scattered rows into one removal per row, each costing the view O(rows). Here a
// burst is one insert or one removal plus one layout change, whatever its size.

#include "models/instances/InstanceModel.h"

#include <algorithm>
#include <numeric>

namespace regscope {

namespace {

template <class T>
int cmp(const T& a, const T& b) {
    return a < b ? -1 : b < a ? 1 : 0;
}

} // namespace

int InstanceModel::compareRows(const InstanceRecord& a, const InstanceRecord& b) const {
    int c = 0;
    switch (m_sortColumn) {
    case ZoneColumn:
        c = QString::compare(a.zone, b.zone);
        break;
    case EnvColumn:
        c = QString::compare(a.env, b.env);
        break;
    case AddrsColumn:
        c = QString::compare(a.addrs.value(0), b.addrs.value(0));
        break;
    case VersionColumn:
        c = QString::compare(a.version, b.version);
        break;
    case StatusColumn:
        c = cmp(a.status, b.status);
        break;
    case RegisteredColumn:
        c = cmp(a.regTimestampNs, b.regTimestampNs);
        break;
    case RenewAgeColumn:
        c = cmp(renewAgeMs(a), renewAgeMs(b));
        break;
    case StaleColumn:
        c = cmp(int(verdict(a)), int(verdict(b)));
        break;
    case EvictionColumn:
        c = cmp(projectedEvictionMs(a), projectedEvictionMs(b));
        break;
    case ProbeColumn: {
        // Worst first when descending: unreachable, unhealthy, up, not probed; then latency.
        const auto key = [this](const InstanceRecord& r) {
            const ProbeEvent* p = probe(r);
            static constexpr int rank[] = {1, 4, 3, 2}; // Up, Refused, Timeout, Unhealthy
            return std::pair{p ? rank[int(p->state)] : 0, p ? p->latencyMs : -1.0};
        };
        c = cmp(key(a), key(b));
        break;
    }
    default:
        break;
    }
    // Ties (and the name column) by hostname, then zone and env: a total order.
    if (c == 0)
        c = QString::compare(a.hostname, b.hostname);
    if (c == 0)
        c = QString::compare(a.zone, b.zone);
    if (c == 0)
        c = QString::compare(a.env, b.env);
    return m_sortOrder == Qt::AscendingOrder ? c : -c;
}

bool InstanceModel::appLess(const App& a, const App& b) const {
    const int c = QString::compare(a.appid, b.appid);
    return m_sortColumn == NameColumn && m_sortOrder == Qt::DescendingOrder ? c > 0 : c < 0;
}

void InstanceModel::sort(int column, Qt::SortOrder order) {
    m_sortColumn = column < 0 || column >= ColumnCount ? int(NameColumn) : column;
    m_sortOrder = order;
    std::vector<App*> all;
    all.reserve(m_apps.size());
    for (const auto& app : m_apps)
        all.push_back(app.get());
    resort(all, true);
}

void InstanceModel::resort(const std::vector<App*>& apps, bool topLevel) {
    const auto rowLess = [this](const InstanceRecord& a, const InstanceRecord& b) {
        return compareRows(a, b) < 0;
    };
    std::vector<App*> unsorted;
    for (App* app : apps)
        if (!std::is_sorted(app->rows.begin(), app->rows.end(), rowLess))
            unsorted.push_back(app);
    const auto appsLess = [this](const std::unique_ptr<App>& a, const std::unique_ptr<App>& b) {
        return appLess(*a, *b);
    };
    const bool top = topLevel && !std::is_sorted(m_apps.begin(), m_apps.end(), appsLess);
    if (unsorted.empty() && !top)
        return;
    QList<QPersistentModelIndex> parents;
    if (!top)
        for (App* app : unsorted)
            parents.append(QPersistentModelIndex(appIndex(*app)));
    Q_EMIT layoutAboutToBeChanged(parents, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList before = persistentIndexList();
    QHash<const App*, std::vector<int>> newRowOf;
    for (App* app : unsorted) {
        std::vector<int> order(app->rows.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
            return rowLess(app->rows[size_t(x)], app->rows[size_t(y)]);
        });
        std::vector<int> newRow(order.size());
        std::vector<InstanceRecord> sorted;
        sorted.reserve(order.size());
        for (size_t k = 0; k < order.size(); ++k) {
            newRow[size_t(order[k])] = int(k);
            sorted.push_back(std::move(app->rows[size_t(order[k])]));
        }
        app->rows = std::move(sorted);
        app->renumber();
        newRowOf.insert(app, std::move(newRow));
    }
    std::vector<int> newAppRow;
    if (top) {
        newAppRow.resize(m_apps.size());
        std::stable_sort(m_apps.begin(), m_apps.end(), appsLess);
        for (int i = 0; i < int(m_apps.size()); ++i)
            newAppRow[size_t(m_apps[size_t(i)]->row)] = i;
        renumberApps();
    }
    QModelIndexList from;
    QModelIndexList to;
    for (const QModelIndex& i : before) {
        auto* app = static_cast<const App*>(i.internalPointer());
        if (!app) {
            if (top) {
                from.append(i);
                to.append(createIndex(newAppRow[size_t(i.row())], i.column(), nullptr));
            }
            continue;
        }
        const auto it = newRowOf.constFind(app);
        if (it == newRowOf.cend())
            continue;
        from.append(i);
        to.append(createIndex((*it)[size_t(i.row())], i.column(), const_cast<App*>(app)));
    }
    changePersistentIndexList(from, to);
    Q_EMIT layoutChanged(parents, QAbstractItemModel::VerticalSortHint);
}

} // namespace regscope
