#include "models/EntriesFilterProxy.h"

#include "models/EntriesModel.h"

namespace regscope {

EntriesFilterProxy::EntriesFilterProxy(QObject* parent)
    : QSortFilterProxyModel(parent) {
    setRecursiveFilteringEnabled(true);
    setAutoAcceptChildRows(true);
}

void EntriesFilterProxy::setFilterText(const QString& text) {
    const QStringList terms = text.split(u' ', Qt::SkipEmptyParts);
    if (terms == m_terms)
        return;
    m_terms = terms;
    invalidateRowsFilter();
}

bool EntriesFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    if (m_terms.isEmpty())
        return true;
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    const int level = index.data(EntriesModel::LevelRole).toInt();
    if (level <= EntriesModel::TenantLevel)
        return false; // a registry or a tenant shows when something under it matches
    const QString text = index.data(EntriesModel::SearchTextRole).toString();
    for (const QString& term : m_terms) {
        if (!text.contains(term, Qt::CaseInsensitive))
            return false;
    }
    return true;
}

} // namespace regscope
