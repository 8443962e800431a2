#include "models/instances/InstanceFilterProxy.h"

#include "models/instances/InstanceModel.h"

namespace regscope {

InstanceFilterProxy::InstanceFilterProxy(QObject* parent)
    : QSortFilterProxyModel(parent) {
    setRecursiveFilteringEnabled(true);
    setDynamicSortFilter(true); // stale verdicts come and go with the data
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

bool InstanceFilterProxy::filtering() const {
    return !m_appid.isEmpty() || !m_zone.isEmpty() || m_status != 0 || m_staleOnly;
}

QVariant InstanceFilterProxy::data(const QModelIndex& index, int role) const {
    if (role == Qt::DisplayRole && index.column() == InstanceModel::NameColumn &&
        !index.parent().isValid() && filtering()) {
        const int total = QSortFilterProxyModel::data(index, InstanceModel::InstanceCountRole).toInt();
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
    const QModelIndex idx = sourceModel()->index(sourceRow, 0, sourceParent);
    const bool isApp = idx.data(InstanceModel::IsAppRole).toBool();
    const bool appMatches =
        m_appid.isEmpty() ||
        idx.data(InstanceModel::AppIdRole).toString().contains(m_appid, Qt::CaseInsensitive);
    const bool instanceFilters = !m_zone.isEmpty() || m_status != 0 || m_staleOnly;
    if (isApp)
        // With instance filters, an app row shows only through a passing child (recursive).
        return appMatches && !instanceFilters;
    if (!appMatches)
        return false;
    if (!m_zone.isEmpty() && idx.data(InstanceModel::ZoneRole).toString() != m_zone)
        return false;
    if (m_status != 0 && idx.data(InstanceModel::StatusRole).toInt() != m_status)
        return false;
    if (m_staleOnly && !idx.data(InstanceModel::StaleRole).toBool())
        return false;
    return true;
}

bool InstanceFilterProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const {
    if (left.column() == InstanceModel::RenewAgeColumn)
        return left.data(InstanceModel::RenewAgeMsRole).toLongLong() <
               right.data(InstanceModel::RenewAgeMsRole).toLongLong();
    if (left.column() == InstanceModel::EvictionColumn)
        return left.data(InstanceModel::ProjectedEvictionMsRole).toLongLong() <
               right.data(InstanceModel::ProjectedEvictionMsRole).toLongLong();
    return QSortFilterProxyModel::lessThan(left, right);
}

} // namespace regscope
