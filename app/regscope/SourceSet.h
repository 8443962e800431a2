#pragma once
// The sources of a window beyond the one its panels show: each watched source has its own
// Session and Store (its own thread, health and bounded history), so several are attached at
// once and one that goes down leaves the others live. The Sources panel lists them all with
// their health; "show in panels" swaps a watched source with the one in the panels. The
// instances of every source are reconciled (models/Reconcile) off the GUI thread, at most once
// a second, into the Drift model.

#include "connectors/Connector.h"
#include "models/ConnectionProfile.h"
#include "models/DriftModel.h"
#include "models/SourcesModel.h"

#include <QObject>
#include <QTimer>

#include <expected>
#include <functional>
#include <memory>
#include <vector>

namespace regscope {

class Session;
class Store;

class SourceSet : public QObject {
    Q_OBJECT
public:
    // The panels' store and session: row 0 of the sources, always there.
    SourceSet(Store* panelStore, Session* panelSession, QObject* parent = nullptr);
    ~SourceSet() override;

    std::expected<void, SourceError> watch(const QString& url);
    // The same with a saved profile's TLS files and credentials (a workspace's sources).
    std::expected<void, SourceError> watch(const ConnectionProfile& profile);
    void unwatchAll();
    void unwatch(int row);      // a watched row (row 0 is the panels' source: not removable)
    void showInPanels(int row); // the panels attach that URL; it is watched no more, the
                                // panels' previous source is watched in its place
    SourcesModel* sources() { return &m_sources; }
    DriftModel* drift() { return &m_drift; }
    qsizetype watchedCount() const { return qsizetype(m_watched.size()); }
    Store* watchedStore(qsizetype i) const;

    // The reconciliation runs again within intervalMs of a change of instances (tests: 0).
    void setReconcileIntervalMs(int ms) { m_debounce.setInterval(ms); }

Q_SIGNALS:
    void reconciled();

private:
    struct Watched;
    void instancesChanged();
    void reconcileNow();

    Store* m_panelStore;
    Session* m_panelSession;
    std::vector<std::unique_ptr<Watched>> m_watched;
    SourcesModel m_sources;
    DriftModel m_drift;
    QTimer m_debounce;
    bool m_running = false; // a reconciliation is on the pool
    bool m_again = false;   // and instances changed meanwhile
    std::function<void(Store*)> m_watchStore;
};

} // namespace regscope
