#pragma once
// Entries as a tree: tenant → name → versions (newest first), with alias and deprecation
// state. Follows Store::recordsChanged in batches: one beginInsertRows per run of new rows,
// one dataChanged per run of changed rows, never a reset.

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
        LevelRole,                       // 0 tenant, 1 name, 2 version
        SearchTextRole,                  // what the filter box searches
        TenantRole,
        NameRole,
    };

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
    // The index of a record id ("tenant/name@version" or "tenant/name"), or invalid.
    QModelIndex indexOf(const QString& id) const;
    qsizetype entryCount() const { return m_entryCount; }

    // Newest first: semantic version order, pre-releases below their release.
    static int compareVersions(QStringView a, QStringView b);

private:
    struct TenantNode;
    struct NameNode {
        TenantNode* tenant = nullptr;
        QString name;
        bool alias = false;
        std::vector<QString> versions; // newest first
    };
    struct TenantNode {
        QString tenant;
        std::vector<std::unique_ptr<NameNode>> names; // sorted by name
    };

    void onRecordsChanged(RecordKind kind, const QStringList& upserted, const QStringList& removed);
    void applyRemovals(const QStringList& removed);
    int tenantRow(const TenantNode* t) const;
    int nameRow(const NameNode* n) const;
    TenantNode* findTenant(const QString& tenant) const;
    NameNode* findName(const TenantNode* t, const QString& name) const;
    QString versionId(const NameNode* n, const QString& version) const;
    const EntryRecord* entryFor(const NameNode* n, const QString& version) const;
    const EntryRecord* latestFor(const NameNode* n) const;
    void emitChangedRuns(const QModelIndex& parent, std::vector<int> rows);

    Store* m_store;
    std::vector<std::unique_ptr<TenantNode>> m_tenants; // sorted by tenant
    qsizetype m_entryCount = 0;
};

} // namespace regscope
