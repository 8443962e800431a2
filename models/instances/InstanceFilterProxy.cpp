#include "models/instances/InstanceFilterProxy.h"

#include "models/instances/InstanceModel.h"

namespace regscope {

InstanceFilterProxy::InstanceFilterProxy(QObject* parent)
    : QSortFilterProxyModel(parent) {
    setRecursiveFilteringEnabled(true);
    setDynamicSortFilter(true); // stale verdicts come and go with the data
}

void InstanceFilterProxy::setSourceModel(QAbstractItemModel* model) {
    m_instances = qobject_cast<InstanceModel*>(model);
    QSortFilterProxyModel::setSourceModel(model);
}

void InstanceFilterProxy::setAppIdFilter(const QString& text) {
    m_appid = text.trimmed();
    invalidateRowsFilter();
}

void InstanceFilterProxy::setZoneFilter(const QString& zone) {
    m_zone = zone;
    invalidateRowsFilter();
}

void InstanceFilterProxy::setStatusFilter(int status) {
    m_status = status;
    invalidateRowsFilter();
}

void InstanceFilterProxy::setStaleOnly(bool staleOnly) {
    m_staleOnly = staleOnly;
    invalidateRowsFilter();
}

void InstanceFilterProxy::setUnreachableOnly(bool unreachableOnly) {
    m_unreachableOnly = unreachableOnly;
    invalidateRowsFilter();
}

bool InstanceFilterProxy::filtering() const {
    return !m_appid.isEmpty() || !m_zone.isEmpty() || m_status != 0 || m_staleOnly ||
           m_unreachableOnly;
}

QVariant InstanceFilterProxy::data(const QModelIndex& index, int role) const {
    if (role == Qt::DisplayRole && index.column() == InstanceModel::NameColumn &&
        !index.parent().isValid() && filtering()) {
        const int total =
            QSortFilterProxyModel::data(index, InstanceModel::InstanceCountRole).toInt();
        const int shown = rowCount(index.siblingAtColumn(0));
        if (shown < total)
            return tr("%1 (%2 of %3)")
                .arg(QSortFilterProxyModel::data(index, InstanceModel::AppIdRole).toString())
                .arg(shown)
                .arg(total);
    }
    return QSortFilterProxyModel::data(index, role);
}

bool InstanceFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    if (!m_instances)
        return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
    const bool instanceFilters =
        !m_zone.isEmpty() || m_status != 0 || m_staleOnly || m_unreachableOnly;
    if (!sourceParent.isValid()) {
        // With instance filters, an app row shows only through a passing child (recursive).
        return !instanceFilters && (m_appid.isEmpty() || m_instances->appIdAt(sourceRow).contains(
                                                             m_appid, Qt::CaseInsensitive));
    }
    const InstanceRecord* r = m_instances->recordAt(m_instances->index(sourceRow, 0, sourceParent));
    if (!r)
        return false;
    if (!m_appid.isEmpty() && !r->appid.contains(m_appid, Qt::CaseInsensitive))
        return false;
    if (!m_zone.isEmpty() && r->zone != m_zone)
        return false;
    if (m_status != 0 && r->status != m_status)
        return false;
    if (m_staleOnly && m_instances->verdict(*r) != InstanceModel::Verdict::Stale)
        return false;
    if (m_unreachableOnly && !m_instances->unreachable(*r))
        return false;
    return true;
}

void InstanceFilterProxy::sort(int column, Qt::SortOrder order) {
    // The model sorts itself; a sorting proxy would split every burst into one signal per row.
    if (m_instances) {
        m_instances->sort(column, order);
        return;
    }
    QSortFilterProxyModel::sort(column, order);
}

} // namespace regscope
