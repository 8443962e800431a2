#include "models/SourceUnionModel.h"

#include "models/ItemRoles.h"
#include "models/SourcesModel.h"
#include "models/Store.h"

#include <QTimer>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

SourceColumnProxy::SourceColumnProxy(const QString& label, bool emphasis, QObject* parent)
    : QAbstractProxyModel(parent)
    , m_label(label)
    , m_emphasis(emphasis) {}

void SourceColumnProxy::setSourceModel(QAbstractItemModel* source) {
    beginResetModel();
    if (sourceModel())
        disconnect(sourceModel(), nullptr, this, nullptr);
    QAbstractProxyModel::setSourceModel(source);
    if (source)
        connectSource(source);
    endResetModel();
}

// Rows are the source's: each signal is passed on with the column moved by one.
void SourceColumnProxy::connectSource(QAbstractItemModel* s) {
    connect(s, &QAbstractItemModel::rowsAboutToBeInserted, this,
            [this](const QModelIndex&, int first, int last) { beginInsertRows({}, first, last); });
    connect(s, &QAbstractItemModel::rowsInserted, this, [this] { endInsertRows(); });
    connect(s, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [this](const QModelIndex&, int first, int last) { beginRemoveRows({}, first, last); });
    connect(s, &QAbstractItemModel::rowsRemoved, this, [this] { endRemoveRows(); });
    connect(s, &QAbstractItemModel::modelAboutToBeReset, this, [this] { beginResetModel(); });
    connect(s, &QAbstractItemModel::modelReset, this, [this] { endResetModel(); });
    connect(s, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& from, const QModelIndex& to, const QList<int>& roles) {
                // The Source column too: it carries the row's state.
                Q_EMIT dataChanged(index(from.row(), 0), index(to.row(), to.column() + 1), roles);
            });
    connect(s, &QAbstractItemModel::headerDataChanged, this,
            [this](Qt::Orientation o, int first, int last) {
                Q_EMIT headerDataChanged(o, o == Qt::Horizontal ? first + 1 : first,
                                         o == Qt::Horizontal ? last + 1 : last);
            });
    // A sort or a move in the source: our persistent indexes follow theirs.
    connect(s, &QAbstractItemModel::layoutAboutToBeChanged, this, [this] {
        Q_EMIT layoutAboutToBeChanged();
        m_layout.clear();
        for (const QModelIndex& p : persistentIndexList())
            m_layout.emplace_back(p, QPersistentModelIndex(sourceModel()->index(
                                         p.row(), std::max(0, p.column() - 1))));
    });
    connect(s, &QAbstractItemModel::layoutChanged, this, [this] {
        for (const auto& [mine, theirs] : m_layout)
            changePersistentIndex(mine, theirs.isValid() ? index(theirs.row(), mine.column())
                                                         : QModelIndex());
        m_layout.clear();
        Q_EMIT layoutChanged();
    });
}

QModelIndex SourceColumnProxy::index(int row, int column, const QModelIndex& parent) const {
    if (parent.isValid() || row < 0 || column < 0 || row >= rowCount() || column >= columnCount())
        return {};
    return createIndex(row, column);
}

QModelIndex SourceColumnProxy::parent(const QModelIndex&) const {
    return {};
}

int SourceColumnProxy::rowCount(const QModelIndex& parent) const {
    return parent.isValid() || !sourceModel() ? 0 : sourceModel()->rowCount();
}

int SourceColumnProxy::columnCount(const QModelIndex& parent) const {
    return parent.isValid() || !sourceModel() ? 0 : sourceModel()->columnCount() + 1;
}

QModelIndex SourceColumnProxy::mapToSource(const QModelIndex& proxy) const {
    if (!proxy.isValid() || proxy.column() == 0 || !sourceModel())
        return {};
    return sourceModel()->index(proxy.row(), proxy.column() - 1);
}

QModelIndex SourceColumnProxy::mapFromSource(const QModelIndex& source) const {
    return source.isValid() ? index(source.row(), source.column() + 1) : QModelIndex();
}

QVariant SourceColumnProxy::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !sourceModel())
        return {};
    if (index.column() != 0)
        return sourceModel()->data(mapToSource(index), role);
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        return m_label;
    case EmphasisRole:
        return m_emphasis;
    case RowStateRole:
        return sourceModel()->index(index.row(), 0).data(role);
    default:
        return {};
    }
}

QVariant SourceColumnProxy::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation == Qt::Horizontal && section == 0)
        return role == Qt::DisplayRole ? QVariant(u"Source"_s) : QVariant();
    if (!sourceModel())
        return {};
    return sourceModel()->headerData(orientation == Qt::Horizontal ? section - 1 : section,
                                     orientation, role);
}

Qt::ItemFlags SourceColumnProxy::flags(const QModelIndex& index) const {
    if (!index.isValid())
        return {};
    if (index.column() == 0)
        return Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    return sourceModel()->flags(mapToSource(index));
}

SourceUnionModel::SourceUnionModel(SourcesModel* sources, Factory factory, QObject* parent)
    : QConcatenateTablesProxyModel(parent)
    , m_sources(sources)
    , m_factory(std::move(factory)) {
    // The set of sources changed: built again on the next turn, once (a swap is a removal
    // and an insertion in one call).
    auto* later = new QTimer(this);
    later->setSingleShot(true);
    later->setInterval(0);
    connect(later, &QTimer::timeout, this, &SourceUnionModel::rebuild);
    const auto again = [this, later] {
        if (m_active)
            later->start();
    };
    connect(sources, &QAbstractItemModel::rowsInserted, this, again);
    // A source that goes may take its Store along right after: its part goes at once (a
    // part's model reads its Store), the others come back on the next turn.
    connect(sources, &QAbstractItemModel::rowsAboutToBeRemoved, this, [this, again] {
        dropParts();
        again();
    });
    connect(sources, &QObject::destroyed, this, [this] {
        dropParts();
        m_active = false;
    });
    connect(sources, &QAbstractItemModel::dataChanged, this, [again](const QModelIndex& from) {
        if (from.column() == SourcesModel::SourceColumn)
            again();
    });
}

SourceUnionModel::~SourceUnionModel() {
    dropParts();
}

void SourceUnionModel::setActive(bool active) {
    if (m_active == active)
        return;
    m_active = active;
    rebuild();
}

void SourceUnionModel::dropParts() {
    for (const Part& p : m_parts) {
        removeSourceModel(p.proxy);
        delete p.proxy;
        delete p.model;
    }
    m_parts.clear();
}

void SourceUnionModel::rebuild() {
    dropParts();
    if (m_active && m_sources) {
        for (int row = 0; row < m_sources->rowCount(); ++row) {
            Store* store = m_sources->storeAt(row);
            if (!store)
                continue;
            QAbstractItemModel* model = m_factory(store, this);
            auto* proxy =
                new SourceColumnProxy(m_sources->urlAt(row), m_sources->inPanels(row), this);
            proxy->setSourceModel(model);
            m_parts.push_back(Part{model, proxy});
            addSourceModel(proxy);
        }
    }
    Q_EMIT rebuilt();
}

} // namespace regscope
