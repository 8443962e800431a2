#pragma once
// The on-call engineer's instances: app → instance rows (zone, env, hostname, addrs,
// version, status, registered, last-renew age, stale verdict, projected eviction time),
// fed by the Store. Row changes are batched per flush (one insert/remove per run of rows, or
// one layout change and one removal when a flush scatters removals), never a reset.
//
// The stale verdict is the connector's, made from what the server said when it answered;
// the model only declines to repeat it when its data has grown too old to judge. Ages are
// derived when a cell is asked for: nothing is signalled per second (a view repaints the
// rows it shows), so 250,000 idle instances cost nothing.

#include "models/SourceEvent.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QMap>
#include <QTimer>

#include <deque>
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
        ProbeColumn, // the reality check (opt-in): the worst verdict of its addresses
        ColumnCount
    };
    enum Role {
        IsAppRole = Qt::UserRole + 1,
        AppIdRole,
        ZoneRole,
        StatusRole, // 1 UP, 2 WAITING (instance rows)
        StaleRole,  // bool; app rows: any stale child
        RecordIdRole,
        RenewAgeMsRole,          // -1: no renews (etcd) or unknown
        ProjectedEvictionMsRole, // Unix ms; 0 when it is not going to be evicted
        VerdictRole,             // Verdict as int
        InstanceCountRole,       // app rows: instances in the app
        ProbeStateRole,          // ProbeState as int; -1: not probed
        ProbeLatencyMsRole,      // double; -1: not probed
        UnreachableRole,         // bool: probed, and refused or timed out; app rows: any
    };
    // What the Stale column says about one instance now.
    enum class Verdict : quint8 {
        NotTracked, // no renews: an etcd key, kept by its lease or by nobody
        Fresh,
        Stale,
        Unknown, // our data is too old to judge, or nobody judged it
    };

    // Server timing the projected eviction is computed from (discovery_* gauges), and how
    // fresh our copy is (regscope_instances_* points the connector adds to its samples).
    struct Timing {
        qint64 renewIntervalMs = 30'000;
        qint64 evictThresholdMs = 90'000;
        qint64 evictIntervalMs = 60'000;
        qint64 evictCeilingMs = 3'600'000;
        qint64 nextEvictionPassMs = 0;    // Unix ms; 0: unknown
        qint64 refreshIntervalMs = 5'000; // how often the source confirms its instances
        bool selfProtection = false;
    };

    explicit InstanceModel(Store* store, QObject* parent = nullptr);
    ~InstanceModel() override;

    // Tests drive time; the default is the wall clock. tickIntervalMs 0 stops the ticking
    // (the tick only notices the data growing too old; it signals nothing otherwise).
    void setNowFunction(std::function<qint64()> nowMs);
    void setTickInterval(int ms);
    void setTiming(const Timing& timing);
    const Timing& timing() const { return m_timing; }
    void tick();

    int instanceCount() const;
    bool catchingUp() const { return !m_pending.empty(); } // a burst is still being applied
    int staleCount() const;                                // instances whose verdict is Stale now
    Verdict verdict(const InstanceRecord& r) const;
    qint64 renewAgeMs(const InstanceRecord& r) const;          // -1 when untracked
    qint64 projectedEvictionMs(const InstanceRecord& r) const; // 0: not going
    // Seconds left on an etcd instance's lease as of now (the Store's latest TTL, counted
    // down); -1 without a lease or before its TTL is known.
    qint64 leaseRemainingS(const InstanceRecord& r) const;
    QStringList zones() const; // sorted, of the instances held
    // Probe verdicts (the Store's): the one that speaks for an instance (its worst address),
    // and whether it says "registered but unreachable" (refused or timeout).
    const ProbeEvent* probe(const InstanceRecord& r) const;
    const QList<ProbeEvent>* probes(const InstanceRecord& r) const; // per address; null: none
    bool unreachable(const InstanceRecord& r) const;
    int unreachableCount() const { return int(m_unreachable.size()); }

    // Freshness: when the source last confirmed its instances (Unix ms, 0: never), and
    // whether that is more than 3 refresh intervals ago.
    qint64 asOfMs() const { return m_asOfMs; }
    qint64 dataAgeMs() const;
    bool dataTooOld() const;
    const InstanceRecord* recordAt(const QModelIndex& index) const; // null for app rows
    QString appIdAt(int appRow) const;

    // Sorting lives here, not in a proxy (see InstanceModelSort.cpp): apps by appid,
    // instances by `column`.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    // The data crossed the too-old line (either way), or a new "as of" arrived.
    void freshnessChanged();

private:
    struct App {
        QString appid;
        int row = 0;
        int up = 0;
        int stale = 0; // records the connector judged stale
        std::vector<InstanceRecord> rows;
        QHash<QString, int> rowOf; // record id → row
        void renumber();
    };

    void onRecordsChanged(RecordKind kind, const QStringList& upserted, const QStringList& removed);
    void onMetrics(const MetricsSample& sample);
    void onStoreCleared();
    void onProbesChanged(const QStringList& ids);
    void forgetUnreachable(const QString& id);
    void applyChunk();
    void removeIds(const QStringList& ids);
    void removeChildRows(App& app, std::vector<int> rows);
    void removeAppRows(std::vector<int> rows);
    void upsertIds(const QStringList& ids);
    void count(const InstanceRecord& r, App& app, int sign);
    void renumberApps();
    int compareRows(const InstanceRecord& a, const InstanceRecord& b) const;
    bool appLess(const App& a, const App& b) const;
    // Restores the order of these apps' rows (and of the apps, with topLevel) with one layout
    // change, when a change broke it.
    void resort(const std::vector<App*>& apps, bool topLevel);
    void touchAsOf(qint64 ms);
    QModelIndex appIndex(const App& app, int column = 0) const;
    QVariant appData(const App& app, int column, int role) const;
    QVariant instanceData(const InstanceRecord& r, int column, int role) const;
    QVariant instanceText(const InstanceRecord& r, int column) const;
    QVariant instanceState(const InstanceRecord& r, int column, bool row) const;
    QVariant probeText(const InstanceRecord& r) const;
    QVariant probeToolTip(const InstanceRecord& r) const;
    qint64 now() const;

    Store* m_store;
    std::vector<std::unique_ptr<App>> m_apps;
    QHash<QString, App*> m_appByName;
    QHash<QString, QString> m_appOfId; // record id → appid
    QMap<QString, int> m_zoneCounts;
    int m_staleRecords = 0;
    QHash<QString, QString> m_unreachable;  // record id → appid, probed unreachable now
    QHash<QString, int> m_unreachableByApp; // appid → how many
    qint64 m_asOfMs = 0;
    bool m_wasTooOld = false;
    Timing m_timing;
    int m_sortColumn = NameColumn;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    std::function<qint64()> m_now;
    QTimer m_ticker;
    // Ids of a burst not applied yet, in the store's order (removals of a flush first).
    // Flushes up to kChunkIds ids are applied at once.
    static constexpr qsizetype kChunkIds = 5'000;
    struct Pending {
        QStringList ids;
        bool removal = false;
        qsizetype done = 0;
    };
    std::deque<Pending> m_pending;
    QTimer m_chunkTimer;
};

} // namespace regscope
