#include "models/etcd/EtcdRevisionDiffModel.h"

#include "models/ItemRoles.h"
#include "models/etcd/EtcdValueFormat.h"

#include <QThread>

using namespace Qt::StringLiterals;

namespace regscope {

void EtcdRevisionDiffModel::setDiff(qint64 fromRevision, qint64 toRevision,
                                    std::vector<EtcdKeyChange> changes) {
    Q_ASSERT(QThread::currentThread() == thread());
    beginResetModel();
    m_from = fromRevision;
    m_to = toRevision;
    m_changes = std::move(changes);
    endResetModel();
}

int EtcdRevisionDiffModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_changes.size());
}

int EtcdRevisionDiffModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EtcdRevisionDiffModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const EtcdKeyChange& c = m_changes[static_cast<size_t>(index.row())];
    auto show = [](const KeyRecord& kv) -> QString {
        if (kv.key.isEmpty())
            return QString();
        return etcdValuePreview(kv.value, classifyEtcdValue(kv.value), 120) + u"  (rev "_s +
               QString::number(kv.modRevision) + u')';
    };
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case ChangeColumn:
            return c.kind == EtcdKeyChange::Kind::Added     ? u"added"_s
                   : c.kind == EtcdKeyChange::Kind::Removed ? u"removed"_s
                                                            : u"changed"_s;
        case KeyColumn:
            return etcdKeyDisplay(c.key);
        case BeforeColumn:
            return show(c.before);
        case AfterColumn:
            return show(c.after);
        }
        return {};
    case RowStateRole:
        return int(c.kind == EtcdKeyChange::Kind::Added     ? ItemState::Added
                   : c.kind == EtcdKeyChange::Kind::Removed ? ItemState::Removed
                                                            : ItemState::Changed);
    case ChangeKindRole:
        return static_cast<int>(c.kind);
    case KeyBytesRole:
        return c.key;
    default:
        return {};
    }
}

QVariant EtcdRevisionDiffModel::headerData(int section, Qt::Orientation orientation,
                                           int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ChangeColumn:
        return u"Change"_s;
    case KeyColumn:
        return u"Key"_s;
    case BeforeColumn:
        return QString(u"At rev "_s + QString::number(m_from));
    case AfterColumn:
        return QString(u"At rev "_s + QString::number(m_to));
    }
    return {};
}

} // namespace regscope
