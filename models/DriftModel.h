#pragma once
// The Drift view's rows: the reconciliation of the session's sources (models/Reconcile), one
// row per finding. A new reconciliation is merged by finding, not reset: rows that stay keep
// their place (and the selection), gone rows are removed, new rows appended.

#include "models/Reconcile.h"

#include <QAbstractTableModel>

namespace regscope {

class DriftModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        KindColumn,
        AppidColumn,
        HostnameColumn,
        AddrColumn,
        FieldsColumn,
        SourceAColumn,
        SourceBColumn,
        ColumnCount
    };

    using QAbstractTableModel::QAbstractTableModel;

    void setReconciliation(Reconciliation r);
    const Reconciliation& reconciliation() const { return m_current; }
    qsizetype onlyInOne() const { return m_current.onlyInA + m_current.onlyInB; }
    qsizetype differing() const { return m_current.differs; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    static QString keyOf(const DriftFinding& f);
    static QString fieldsText(const DriftFinding& f); // "version 1.0 → 1.1; status 1 → 2"

Q_SIGNALS:
    void countsChanged();

private:
    Reconciliation m_current; // findings in row order
};

} // namespace regscope
