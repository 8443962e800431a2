#pragma once
// The leases of an etcd source as LeaseLeases + LeaseTimeToLive(keys) reported them: id, TTL,
// granted TTL and the keys bound to each; revoke (the count of its keys typed when more than
// one) and keep alive once, through EtcdKeyActions. What it shows is the server's answer at
// the time of the list; it is not updated in place.

#include "models/actions/ActionTypes.h"

#include <QDialog>

class QPushButton;
class QTableWidget;

namespace regscope {

class EtcdKeyActions;

class LeasesDialog : public QDialog {
    Q_OBJECT
public:
    LeasesDialog(EtcdKeyActions* actions, const ActionResult& list, QWidget* parent = nullptr);

    QTableWidget* table() const { return m_table; }
    QPushButton* revokeButton() const { return m_revoke; }
    QPushButton* keepAliveButton() const { return m_keepAlive; }
    // The lease on the selected row (0: none).
    qint64 selectedLease() const;

private:
    EtcdKeyActions* m_actions;
    QList<LeaseInfo> m_leases;
    QTableWidget* m_table;
    QPushButton* m_revoke;
    QPushButton* m_keepAlive;
};

} // namespace regscope
