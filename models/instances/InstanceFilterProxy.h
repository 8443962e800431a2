#pragma once
// Filters the InstanceModel tree by appid (substring), zone, status and stale; an app row
// stays while any of its instances passes.

#include <QSortFilterProxyModel>

namespace regscope {

class InstanceFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit InstanceFilterProxy(QObject* parent = nullptr);

    void setAppIdFilter(const QString& text);
    void setZoneFilter(const QString& zone); // empty: every zone
    void setStatusFilter(int status);        // 0: any, 1 UP, 2 WAITING
    void setStaleOnly(bool staleOnly);
    bool filtering() const;

    // App rows name how many of their instances pass: "payments (3 of 31)".
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    QString m_appid;
    QString m_zone;
    int m_status = 0;
    bool m_staleOnly = false;
};

} // namespace regscope
