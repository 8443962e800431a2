#pragma once
// Entries as a tree: [registry →] tenant → name → versions (newest first), with alias and
// deprecation state. The registry level exists only for records that name their registry
// (an attached process with several registries); the demo's records sit at tenant level.
// Follows Store::recordsChanged in batches: one beginInsertRows per run of new rows, one
// dataChanged per run of changed rows, never a reset. Colours are the views' business: rows
// say what they mean through StateRole / RowStateRole (models/ItemRoles.h); when the source
// goes Down, every row reads ItemState::Muted and the last known state stays.

#include "models/SourceEvent.h"

#include <QAbstractItemModel>

#include <memory>
#include <vector>

namespace regscope {

class Store;

class EntriesModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        VersionColumn,
        TypeColumn,
        StateColumn,
        OriginColumn,
        DescriptionColumn,
        ColumnCount
    };
    enum Role {
        RecordIdRole = Qt::UserRole + 1, // id of the entry (version/alias rows) or ""
        LevelRole,                       // RowLevel
        SearchTextRole,                  // what the filter box searches
        TenantRole,
        NameRole,
        RegistryRole, // the registry a row belongs to ("" for the demo's)
        OriginRole,   // the raw origin of the entry (a shared object's path, "demo"...)
    };
    // LevelRole values. A registry is above tenants; groups are the levels <= TenantLevel.
    enum RowLevel { RegistryLevel = -1, TenantLevel = 0, NameLevel = 1, VersionLevel = 2 };

    explicit EntriesModel(Store* store, QObject* parent = nullptr);
    ~EntriesModel() override;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Every entry record under `index` (itself for a version/alias row).
    std::vector<EntryRecord> recordsAt(const QModelIndex& index) const;
    // The index of a record id (recordId()), or invalid.
    QModelIndex indexOf(const QString& id) const;
    qsizetype entryCount() const { return m_entryCount; }
    // True while the source is Down: rows show the last known state, muted.
    bool isMuted() const { return m_muted; }

    // Newest first: semantic version order (registry::Version), pre-releases below their
    // release; anything that is not semver sorts below, in text order.
    static int compareVersions(QStringView a, QStringView b);
    // "registered by libcodec_zstd.so" for a shared object, the origin itself otherwise.
    static QString originText(const QString& origin);

    struct Node; // a registry, tenant or name row (defined in the .cpp)

private:
    using Items = std::vector<const EntryRecord*>;

    void onRecordsChanged(RecordKind kind, const QStringList& upserted, const QStringList& removed);
    void onHealthChanged(const SourceHealth& health);
    void applyRemovals(const QStringList& removed);
    void applyUpserts(Items items);
    void mergeChildren(Node* parent, int childLevel, bool fresh, Items::const_iterator begin,
                       Items::const_iterator end);
    void mergeVersions(Node* n, bool fresh, Items::const_iterator begin, Items::const_iterator end);
    void emitAllChanged(const Node* parent);

    Node* nodeOf(const QModelIndex& index) const;
    QModelIndex indexOfNode(const Node* n) const;
    int rowOf(const Node* n) const;
    Node* child(const Node* parent, int level, QStringView key) const;
    Node* findName(QStringView registry, QStringView tenant, QStringView name) const;
    Node* locate(QStringView id, int* versionRow) const;
    QString versionId(const Node* name, const QString& version) const;
    const EntryRecord* entryFor(const Node* name, const QString& version) const;
    const EntryRecord* latestFor(const Node* name) const;
    QVariant groupData(const Node* n, int column, int role) const;
    QVariant entryData(const Node* name, const QString* version, int column, int role) const;

    Store* m_store;
    std::unique_ptr<Node> m_root;
    qsizetype m_entryCount = 0;
    bool m_muted = false;
};

} // namespace regscope
