#pragma once
// A SnapshotDiff as rows for the Compare dialog: one row per added or removed record and per
// changed field. States, not colours: RowStateRole is Added, Removed or Changed (views/Theme
// paints them); the Change column carries the same as StateRole.

#include "models/SnapshotDiff.h"

#include <QAbstractTableModel>

namespace regscope {

class SnapshotDiffModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        KindColumn,
        ChangeColumn,
        IdColumn,
        FieldColumn,
        OldColumn,
        NewColumn,
        ColumnCount
    };

    explicit SnapshotDiffModel(QObject* parent = nullptr);

    // Replaces every row (a reset: a diff is computed whole).
    void setDiff(SnapshotDiff diff, QString oldName, QString newName);
    const SnapshotDiff& diff() const { return m_diff; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct Row {
        const RecordChange* change;
        const FieldChange* field; // null for an added or removed record
    };
    SnapshotDiff m_diff;
    std::vector<Row> m_rows;
    QString m_oldName, m_newName;
};

} // namespace regscope
