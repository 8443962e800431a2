#pragma once
// The same table of every source, one source after the other, with a Source column first:
// what Lookups, Misses, Deprecations and Timeline show when the window shows all sources. The
// factory builds the panel's own model on each source's Store (they follow their Store in
// batches as in one-source mode); QConcatenateTablesProxyModel stacks them, each behind a
// SourceColumnProxy that adds the source's column. Inactive, it holds no model at all.

#include <QAbstractProxyModel>
#include <QConcatenateTablesProxyModel>
#include <QPersistentModelIndex>
#include <QPointer>

#include <functional>
#include <vector>

namespace regscope {

class SourcesModel;
class Store;

// A flat table with one more column, first: the source's name on every row (its row state
// too, so a stale or deprecated row is coloured across). Rows map one to one.
class SourceColumnProxy : public QAbstractProxyModel {
    Q_OBJECT
public:
    SourceColumnProxy(const QString& label, bool emphasis, QObject* parent = nullptr);
    void setSourceModel(QAbstractItemModel* source) override;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QModelIndex mapToSource(const QModelIndex& proxy) const override;
    QModelIndex mapFromSource(const QModelIndex& source) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    void connectSource(QAbstractItemModel* source);

    QString m_label;
    bool m_emphasis;
    std::vector<std::pair<QPersistentModelIndex, QPersistentModelIndex>> m_layout;
};

class SourceUnionModel : public QConcatenateTablesProxyModel {
    Q_OBJECT
public:
    using Factory = std::function<QAbstractItemModel*(Store* store, QObject* parent)>;
    SourceUnionModel(SourcesModel* sources, Factory factory, QObject* parent = nullptr);
    ~SourceUnionModel() override;

    void setActive(bool active);
    bool isActive() const { return m_active; }
    int sourceCount() const { return int(m_parts.size()); }

Q_SIGNALS:
    void rebuilt(); // the sources changed and every part was built again

private:
    void rebuild();
    void dropParts();

    QPointer<SourcesModel> m_sources;
    Factory m_factory;
    bool m_active = false;
    struct Part {
        QAbstractItemModel* model;
        SourceColumnProxy* proxy;
    };
    std::vector<Part> m_parts;
};

} // namespace regscope
