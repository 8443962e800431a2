#include "views/actions/LeasesDialog.h"

#include "models/etcd/EtcdIds.h"
#include "views/actions/EtcdKeyActions.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

LeasesDialog::LeasesDialog(EtcdKeyActions* actions, const ActionResult& list, QWidget* parent)
    : QDialog(parent)
    , m_actions(actions)
    , m_leases(list.leases) {
    setObjectName(u"leasesDialog"_s);
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowTitle(u"Leases"_s);
    auto* layout = new QVBoxLayout(this);
    QString note = QString::number(m_leases.size()) + u" leases"_s;
    if (!list.message.isEmpty())
        note += u" — "_s + list.message;
    layout->addWidget(new QLabel(note, this));
    m_table = new QTableWidget(static_cast<int>(m_leases.size()), 5, this);
    m_table->setObjectName(u"leaseTable"_s);
    m_table->setHorizontalHeaderLabels(
        {u"lease"_s, u"TTL (s)"_s, u"granted (s)"_s, u"keys"_s, u"bound keys"_s});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    for (int row = 0; row < m_leases.size(); ++row) {
        const LeaseInfo& l = m_leases[row];
        QStringList keys;
        for (const QByteArray& k : l.keys)
            keys << QString::fromUtf8(k);
        m_table->setItem(row, 0, new QTableWidgetItem(etcdLeaseText(l.id)));
        m_table->setItem(row, 1, new QTableWidgetItem(QString::number(l.ttl)));
        m_table->setItem(row, 2, new QTableWidgetItem(QString::number(l.grantedTtl)));
        m_table->setItem(row, 3, new QTableWidgetItem(QString::number(l.keys.size())));
        m_table->setItem(row, 4, new QTableWidgetItem(keys.join(u", "_s)));
    }
    layout->addWidget(m_table, 1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_keepAlive = buttons->addButton(u"Keep alive once…"_s, QDialogButtonBox::ActionRole);
    m_revoke = buttons->addButton(u"Revoke…"_s, QDialogButtonBox::ActionRole);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto selected = [this]() -> const LeaseInfo* {
        const auto rows = m_table->selectionModel()->selectedRows();
        return rows.isEmpty() ? nullptr : &m_leases[rows.first().row()];
    };
    connect(m_revoke, &QPushButton::clicked, this, [this, selected] {
        if (const LeaseInfo* l = selected())
            m_actions->revokeLease(l->id, l->keys.size());
    });
    connect(m_keepAlive, &QPushButton::clicked, this, [this, selected] {
        if (const LeaseInfo* l = selected())
            m_actions->keepLeaseAlive(l->id);
    });
    auto update = [this] {
        const bool any = selectedLease() != 0;
        const bool writable = m_actions->writable();
        m_revoke->setEnabled(any && writable);
        m_keepAlive->setEnabled(any && writable);
    };
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, update);
    update();
    resize(720, 420);
}

qint64 LeasesDialog::selectedLease() const {
    const auto rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? 0 : m_leases[rows.first().row()].id;
}

} // namespace regscope
