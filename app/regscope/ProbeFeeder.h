#pragma once
// Feeds the prober (connectors/probe) from the Store and its verdicts back into it: the
// app's ProbeControl. While probing is on it follows the Store's instance changes (queued to
// the prober's thread, nothing probed on the GUI thread) and hands each verdict batch to the
// Store; turning it off stops the prober and forgets every verdict. Off until asked.

#include "models/ProbeControl.h"
#include "models/SourceEvent.h"

#include <QHash>

#include <memory>

namespace regscope {

class Prober;
class Store;

class ProbeFeeder : public ProbeControl {
    Q_OBJECT
public:
    ProbeFeeder(Store* store, ProbeLimits limits, QObject* parent = nullptr);
    ~ProbeFeeder() override;

    bool probing() const override { return m_prober != nullptr; }
    void setProbing(bool on) override;
    int addressCount() const override { return m_addresses; }
    ProbeLimits limits() const override { return m_limits; }
    // Every instance in the Store has a verdict for each address it registers.
    bool allProbed() const;
    const Prober* prober() const { return m_prober.get(); }

private:
    void onRecordsChanged(RecordKind kind, const QStringList& upserted, const QStringList& removed);
    void onCleared();
    void setAddresses(int count);

    Store* m_store;
    ProbeLimits m_limits;
    std::unique_ptr<Prober> m_prober;
    quint64 m_generation = 0;      // batches of an earlier prober are dropped
    QHash<QString, int> m_addrsOf; // instance id → its address count
    int m_addresses = 0;
};

} // namespace regscope
