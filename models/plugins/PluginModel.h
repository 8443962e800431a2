#pragma once
// The Plugins panel's list: one row per plugin file, with its state and latest verdict.
// Touched on the GUI thread only; one dataChanged per changed row, never a reset.

#include "PluginVerdict.h"

#include <QAbstractTableModel>

#include <vector>

namespace regscope {

struct PluginRow {
    QString path;
    PluginState state = PluginState::Verifying;
    QString stage;         // the stage in progress or where it ended
    PluginVerdict verdict; // the latest finished (or ready) verdict
    InvokeResult lastInvoke;
    bool hasInvoke = false;
    int crashes = 0;        // in the crash-loop window
    bool crashLoop = false; // automatic retries stopped
    QString note;           // e.g. "reload failed: ..."
};

class PluginModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        StateColumn,
        StageColumn,
        LoadMsColumn,
        RegistrationsColumn,
        ColumnCount
    };
    enum Role { PathRole = Qt::UserRole + 1, StateRole, HeadlineRole };

    explicit PluginModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    int rowOf(const QString& path) const; // -1 when absent
    const PluginRow* row(int row) const;
    const PluginRow* find(const QString& path) const;

    // Mutators (GUI thread). ensure() appends a row when the path is new.
    int ensure(const QString& path);
    void setState(const QString& path, PluginState state, const QString& stage);
    void setVerdict(const QString& path, const PluginVerdict& verdict);
    void setInvokeResult(const QString& path, const InvokeResult& result);
    void setCrashLoop(const QString& path, int crashes, bool stopped);
    void setNote(const QString& path, const QString& note);
    void remove(const QString& path);

Q_SIGNALS:
    void rowDetailsChanged(const QString& path); // verdict, invoke or note changed

private:
    void changed(int row);
    std::vector<PluginRow> m_rows;
};

} // namespace regscope
