#pragma once
// The Entries filter: every whitespace-separated term must appear (case-insensitive) in a
// row's name, versions or type; parents of matches stay visible, children of matches too.

#include <QSortFilterProxyModel>

namespace regscope {

class EntriesFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit EntriesFilterProxy(QObject* parent = nullptr);
    void setFilterText(const QString& text);
    QString filterText() const { return m_terms.join(u' '); }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QStringList m_terms;
};

} // namespace regscope
