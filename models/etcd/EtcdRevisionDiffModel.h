#pragma once
// The added / removed / changed keys between two revisions, one row per key.

#include "models/etcd/EtcdRevisionDiff.h"

#include <QAbstractTableModel>

namespace regscope {

class EtcdRevisionDiffModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { ChangeColumn, KeyColumn, BeforeColumn, AfterColumn, ColumnCount };
    enum Role { ChangeKindRole = Qt::UserRole + 1, KeyBytesRole };

    using QAbstractTableModel::QAbstractTableModel;

    // A new comparison replaces the old one (a user action, not a stream of events: one reset).
    void setDiff(qint64 fromRevision, qint64 toRevision, std::vector<EtcdKeyChange> changes);
    qint64 fromRevision() const { return m_from; }
    qint64 toRevision() const { return m_to; }
    const std::vector<EtcdKeyChange>& changes() const { return m_changes; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<EtcdKeyChange> m_changes;
    qint64 m_from = 0;
    qint64 m_to = 0;
};

} // namespace regscope
