#include "models/SnapshotDiffModel.h"

#include "models/ItemRoles.h"

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
ItemState stateOf(RecordChange::Type type) {
    switch (type) {
    case RecordChange::Type::Added:
        return ItemState::Added;
    case RecordChange::Type::Removed:
        return ItemState::Removed;
    case RecordChange::Type::Changed:
        return ItemState::Changed;
    }
    return ItemState::Normal;
}
} // namespace

SnapshotDiffModel::SnapshotDiffModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void SnapshotDiffModel::setDiff(SnapshotDiff diff, QString oldName, QString newName) {
    beginResetModel();
    m_diff = std::move(diff);
    m_oldName = std::move(oldName);
    m_newName = std::move(newName);
    m_rows.clear();
    for (const RecordChange& c : m_diff.changes) {
        if (c.fields.empty())
            m_rows.push_back(Row{&c, nullptr});
        for (const FieldChange& f : c.fields)
            m_rows.push_back(Row{&c, &f});
    }
    endResetModel();
}

int SnapshotDiffModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SnapshotDiffModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SnapshotDiffModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row& row = m_rows[size_t(index.row())];
    if (role == RowStateRole)
        return int(stateOf(row.change->type));
    if (role == StateRole)
        return index.column() == ChangeColumn ? int(stateOf(row.change->type)) : QVariant();
    if (role == EmphasisRole)
        return index.column() == IdColumn;
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    const qsizetype max = role == Qt::ToolTipRole ? 4000 : 160;
    switch (index.column()) {
    case KindColumn:
        return kindName(row.change->kind);
    case ChangeColumn:
        return changeName(row.change->type);
    case IdColumn:
        return row.change->id;
    case FieldColumn:
        return row.field ? row.field->field : QString();
    case OldColumn:
        return row.field ? shortValue(row.field->before, max) : QString();
    case NewColumn:
        return row.field ? shortValue(row.field->after, max) : QString();
    default:
        return {};
    }
}

QVariant SnapshotDiffModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case KindColumn:
        return u"Kind"_s;
    case ChangeColumn:
        return u"Change"_s;
    case IdColumn:
        return u"Key"_s;
    case FieldColumn:
        return u"Field"_s;
    case OldColumn:
        return m_oldName.isEmpty() ? u"Old"_s : m_oldName;
    case NewColumn:
        return m_newName.isEmpty() ? u"New"_s : m_newName;
    default:
        return {};
    }
}

} // namespace regscope
