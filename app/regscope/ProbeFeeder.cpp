#include "app/regscope/ProbeFeeder.h"

#include "connectors/probe/Prober.h"
#include "models/Store.h"

namespace regscope {

namespace {
QStringList distinct(QStringList addrs) {
    addrs.removeDuplicates();
    return addrs;
}
} // namespace

ProbeFeeder::ProbeFeeder(Store* store, ProbeLimits limits, QObject* parent)
    : ProbeControl(parent)
    , m_store(store)
    , m_limits(std::move(limits)) {
    connect(store, &Store::recordsChanged, this, &ProbeFeeder::onRecordsChanged);
    connect(store, &Store::cleared, this, &ProbeFeeder::onCleared);
}

ProbeFeeder::~ProbeFeeder() {
    if (m_prober)
        m_prober->stop();
}

void ProbeFeeder::setProbing(bool on) {
    if (on == probing())
        return;
    ++m_generation;
    if (!on) {
        m_prober->stop();
        m_prober.reset();
        m_addrsOf.clear();
        m_store->clearProbes(); // a verdict nobody renews would mislead
        setAddresses(0);
        Q_EMIT probingChanged(false);
        return;
    }
    m_prober = std::make_unique<Prober>(m_limits);
    const quint64 generation = m_generation;
    // Queued: the batch is handed over on the GUI thread, and one of a prober stopped
    // since is dropped here (its events may still be on their way).
    connect(
        m_prober.get(), &Prober::eventsReady, this,
        [this, generation](const EventBatchPtr& batch) {
            if (generation == m_generation && m_prober)
                m_store->apply(batch);
        },
        Qt::QueuedConnection);
    m_prober->start();
    std::vector<ProbeTarget> targets;
    targets.reserve(size_t(m_store->count(RecordKind::Instance)));
    int addresses = 0;
    m_store->forEach(RecordKind::Instance, [&](const Record& r) {
        const auto& i = std::get<InstanceRecord>(r);
        const QStringList addrs = distinct(i.addrs);
        m_addrsOf.insert(recordId(i), int(addrs.size()));
        addresses += int(addrs.size());
        targets.push_back(ProbeTarget{recordId(i), addrs});
    });
    m_prober->updateTargets(std::move(targets));
    setAddresses(addresses);
    Q_EMIT probingChanged(true);
}

void ProbeFeeder::onRecordsChanged(RecordKind kind, const QStringList& upserted,
                                   const QStringList& removed) {
    if (kind != RecordKind::Instance || !m_prober)
        return;
    int addresses = m_addresses;
    for (const QString& id : removed)
        addresses -= m_addrsOf.take(id);
    std::vector<ProbeTarget> targets;
    targets.reserve(size_t(upserted.size()));
    const auto& records = m_store->changedRecords(RecordKind::Instance);
    const bool aligned = qsizetype(records.size()) == upserted.size();
    for (qsizetype k = 0; k < upserted.size(); ++k) {
        const Record* rec =
            aligned ? records[size_t(k)] : m_store->find(RecordKind::Instance, upserted[k]);
        const auto* i = rec ? std::get_if<InstanceRecord>(rec) : nullptr;
        if (!i)
            continue;
        const QStringList addrs = distinct(i->addrs);
        int& held = m_addrsOf[upserted[k]];
        addresses += int(addrs.size()) - held;
        held = int(addrs.size());
        targets.push_back(ProbeTarget{upserted[k], addrs});
    }
    m_prober->updateTargets(std::move(targets), removed);
    setAddresses(addresses);
}

void ProbeFeeder::onCleared() {
    // Another source: the old one's addresses go (its removals already came through).
    m_addrsOf.clear();
    if (m_prober)
        m_prober->clearTargets();
    setAddresses(0);
}

void ProbeFeeder::setAddresses(int count) {
    if (count == m_addresses)
        return;
    m_addresses = count;
    Q_EMIT addressCountChanged(count);
}

bool ProbeFeeder::allProbed() const {
    if (!m_prober)
        return false;
    bool all = true;
    m_store->forEach(RecordKind::Instance, [&](const Record& r) {
        if (!all)
            return;
        const auto& i = std::get<InstanceRecord>(r);
        const QList<ProbeEvent>* verdicts = m_store->probes(recordId(i));
        const qsizetype want = distinct(i.addrs).size();
        all = want == 0 || (verdicts && verdicts->size() >= want);
    });
    return all;
}

} // namespace regscope
