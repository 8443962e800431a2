#pragma once
// Filters the InstanceModel tree by appid (substring), zone, status, stale and unreachable; an app
// row stays while any of its instances passes. Filtering reads the records directly (no QVariant
// per row); sorting is the model's own, so the proxy keeps the model's order and passes a
// burst on as one insert or one removal.

#include <QSortFilterProxyModel>

namespace regscope {

class InstanceModel;

class InstanceFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit InstanceFilterProxy(QObject* parent = nullptr);

    void setSourceModel(QAbstractItemModel* model) override;
    void setAppIdFilter(const QString& text);
    void setZoneFilter(const QString& zone); // empty: every zone
    void setStatusFilter(int status);        // 0: any, 1 UP, 2 WAITING
    void setStaleOnly(bool staleOnly);
    void setUnreachableOnly(bool unreachableOnly); // registered but unreachable (probed)
    bool filtering() const;

    // Forwarded to InstanceModel, which keeps its rows in order itself.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    // App rows name how many of their instances pass: "payments (3 of 31)".
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    InstanceModel* m_instances = nullptr;
    QString m_appid;
    QString m_zone;
    int m_status = 0;
    bool m_staleOnly = false;
    bool m_unreachableOnly = false;
};

} // namespace regscope
