#pragma once
// The on-call engineer's instances: app → instance rows (zone, env, hostname, addrs,
// version, status, registered, last-renew age ticking, stale mark, projected eviction time),
// fed by the Store. Row changes are batched per flush (one insert/remove per run of rows,
// one dataChanged per run), never a reset; ages tick with one dataChanged per app.

#include "models/SourceEvent.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

namespace regscope {

class Store;

class InstanceModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn, // appid on app rows, hostname on instance rows
        ZoneColumn,
        EnvColumn,
        AddrsColumn,
        VersionColumn,
        StatusColumn,
        RegisteredColumn,
        RenewAgeColumn,
        StaleColumn,
        EvictionColumn,
        ColumnCount
    };
    enum Role {
        IsAppRole = Qt::UserRole + 1,
        AppIdRole,
        ZoneRole,
        StatusRole, // 1 UP, 2 WAITING (instance rows)
        StaleRole,  // bool; app rows: any stale child
        RecordIdRole,
        RenewAgeMsRole,
        ProjectedEvictionMsRole, // Unix ms, 0 when unknown
    };

    // Server timing the stale mark and the projected eviction are computed from; the model
    // reads it from discovery_* metrics samples when the server exposes them.
    struct Timing {
        qint64 renewIntervalMs = 30'000;
        qint64 evictThresholdMs = 90'000;
        qint64 evictIntervalMs = 60'000;
        qint64 evictCeilingMs = 3'600'000;
        qint64 nextEvictionPassMs = 0; // Unix ms; 0: unknown
        bool selfProtection = false;
    };

    explicit InstanceModel(Store* store, QObject* parent = nullptr);
    ~InstanceModel() override;

    // Tests drive time; the default is the wall clock. tickIntervalMs 0 stops the ticking.
    void setNowFunction(std::function<qint64()> nowMs);
    void setTickInterval(int ms);
    void setTiming(const Timing& timing);
    const Timing& timing() const { return m_timing; }
    // Re-evaluates ages, stale marks and eviction projections (the timer calls it).
    void tick();

    int instanceCount() const;
    int staleCount() const;
    bool isStale(const InstanceRecord& r) const;
    qint64 projectedEvictionMs(const InstanceRecord& r) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct App {
        QString appid;
        int row = 0;
        std::vector<InstanceRecord> rows;
        QHash<QString, int> rowOf; // record id → row
        void renumber();
    };

    void onRecordsChanged(RecordKind kind, const QStringList& upserted, const QStringList& removed);
    void onMetrics(const MetricsSample& sample);
    void removeIds(const QStringList& ids);
    void upsertIds(const QStringList& ids);
    void renumberApps();
    QModelIndex appIndex(const App& app, int column = 0) const;
    QVariant appData(const App& app, int column, int role) const;
    QVariant instanceData(const InstanceRecord& r, int column, int role) const;
    qint64 now() const;

    Store* m_store;
    std::vector<std::unique_ptr<App>> m_apps;
    QHash<QString, App*> m_appByName;
    QHash<QString, QString> m_appOfId; // record id → appid
    Timing m_timing;
    std::function<qint64()> m_now;
    QTimer m_ticker;
};

} // namespace regscope
