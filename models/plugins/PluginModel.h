#pragma once
// The Plugins panel's list: one row per plugin file, with its state and latest verdict. It
// subscribes to the Store (PluginEvent), as EntriesModel does; nothing else writes into it.
// GUI thread only; one dataChanged per changed row, inserts in runs, never a reset.

#include "models/PluginVerdict.h"
#include "models/SourceEvent.h"

#include <QAbstractTableModel>
#include <QPointer>

#include <vector>

namespace regscope {

class Store;

struct PluginRow {
    QString path;
    PluginState state = PluginState::Verifying;
    loader::Stage stage = loader::Stage::Spawn; // in progress or where it ended
    PluginVerdict verdict;                      // the latest finished (or ready) verdict
    InvokeResult lastInvoke;
    bool hasInvoke = false;
    int crashes = 0;            // in the crash-loop window
    bool crashLoop = false;     // automatic retries stopped
    bool deterministic = false; // the same crash twice: not retried
    QString note;               // e.g. "reload failed: ..."
    PluginCallStats calls;
    std::shared_ptr<const ReloadCandidate> candidate; // a reload waiting for accept
    int recordedPayloads = 0;                         // recent invokes a shadow can replay
};

class PluginModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        KindColumn,
        StateColumn,
        StageColumn,
        LoadMsColumn,
        RegistrationsColumn,
        CallsColumn,
        ColumnCount
    };
    enum Role { PathRole = Qt::UserRole + 1, PluginStateRole, HeadlineRole };

    explicit PluginModel(QObject* parent = nullptr);

    // Shows the store's plugins and follows them.
    void setStore(Store* store);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    int rowOf(const QString& path) const; // -1 when absent
    const PluginRow* row(int row) const;
    const PluginRow* find(const QString& path) const;

    // The store's events of one flush, in order.
    void apply(const QList<PluginEvent>& events);

Q_SIGNALS:
    void rowDetailsChanged(const QString& path); // verdict, invoke or note changed

private:
    QVariant stateOf(const PluginRow& r) const;
    std::vector<PluginRow> m_rows;
    QPointer<Store> m_store;
};

} // namespace regscope
