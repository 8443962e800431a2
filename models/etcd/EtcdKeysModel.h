#pragma once
// The etcd keys as a table, sorted by key (etcd's order), with lease countdown and an
// "expiring soon" highlight. Fed by the Store (recordsChanged for RecordKind::Key; rows point
// at the store's records, 24 bytes a row) or directly with a whole state (time travel).
// Changes arrive in batches and become one beginInsertRows / beginRemoveRows per run of
// adjacent rows and one dataChanged per run; never a reset.

#include "models/SourceEvent.h"
#include "models/etcd/EtcdValueFormat.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

namespace regscope {

class Store;

class EtcdKeysModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        KeyColumn,
        ValueColumn,
        LeaseColumn,
        TtlColumn,
        ModRevisionColumn,
        CreateRevisionColumn,
        VersionColumn,
        ColumnCount
    };
    enum Role {
        KeyBytesRole = Qt::UserRole + 1, // QByteArray
        ValueBytesRole,                  // QByteArray
        ValueKindRole,                   // int(EtcdValueKind)
        PrettyValueRole,                 // QString
        TtlRemainingRole,                // qint64 seconds; -1 no lease / unknown
        ExpiringSoonRole,                // bool
        LeaseIdRole,                     // qint64
    };

    struct Options {
        int countdownIntervalMs = 1000;
        qint64 expiringSoonSeconds = 5; // highlight when remaining <= this or <= 20% of granted
        std::function<qint64()> nowMs;  // default: QDateTime::currentMSecsSinceEpoch
    };

    explicit EtcdKeysModel(QObject* parent = nullptr);
    explicit EtcdKeysModel(Options options, QObject* parent = nullptr);
    ~EtcdKeysModel() override;

    // Follows the store's keys (loads those already there). The store must outlive the model.
    void setStore(const Store* store);

    // Batch mutators (GUI thread).
    void applyChanges(std::vector<KeyRecord> upserts, const QStringList& removedIds);
    // Replaces the content with `state` as targeted changes (time travel).
    void setState(std::vector<KeyRecord> state);
    void updateLeases(const QList<LeaseInfo>& leases);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    int rowOf(const QByteArray& key) const; // -1 if absent
    const KeyRecord* recordAt(int row) const;
    // Remaining seconds of the key's lease as of now; -1 without a (known) lease.
    qint64 ttlRemaining(const KeyRecord& kv) const;
    const LeaseInfo* lease(qint64 id) const;

    // Re-emits dataChanged for the TTL column of rows with a lease (the countdown tick).
    void tick();

private:
    static constexpr quint8 kUnclassified = 0xff;
    struct Row {
        const KeyRecord* kv = nullptr;       // the store's record, or `own`
        std::unique_ptr<KeyRecord> own;      // a record given directly (applyChanges, setState)
        mutable quint8 kind = kUnclassified; // an EtcdValueKind once the row was first shown
    };
    void applyRows(std::vector<Row> upserts, const QStringList& removedIds, bool fromStore);
    void removeRows(const QStringList& removedIds);
    void insertRows(std::vector<Row> fresh);
    // The row's value kind, classified on first use (a million-key load parses no values).
    EtcdValueKind valueKind(const Row& row) const;
    std::vector<Row>::iterator lowerBound(const QByteArray& key);
    void emitRuns(std::vector<int> rows, int firstColumn, int lastColumn);
    bool expiringSoon(const KeyRecord& kv) const;
    void onStoreChanged(RecordKind kind, const QStringList& upserted, const QStringList& removed);

    Options m_options;
    std::vector<Row> m_rows; // sorted by key
    QHash<qint64, LeaseInfo> m_leases;
    QTimer m_tick;
    const Store* m_store = nullptr;
    QMetaObject::Connection m_leaseConnection;
    QMetaObject::Connection m_storeConnection;
};

} // namespace regscope
