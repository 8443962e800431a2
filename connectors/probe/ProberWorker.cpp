#include "connectors/probe/ProberWorker.h"

#include "connectors/probe/SocketProbe.h"
#ifdef REGSCOPE_PROBE_GRPC
#include "connectors/probe/GrpcHealthProbe.h"
#endif

#include <QDateTime>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
constexpr int kSendIntervalMs = 50;
constexpr qsizetype kSendAtVerdicts = 512;
} // namespace

ProberWorker::ProberWorker(ProbeLimits limits, std::shared_ptr<Prober::Stats> stats)
    : m_limits(std::move(limits))
    , m_stats(std::move(stats))
    , m_wake(this)
    , m_send(this) {
    m_limits.maxInFlight = std::max(1, m_limits.maxInFlight);
    m_limits.ratePerSecond = std::max(0.01, m_limits.ratePerSecond);
    m_limits.timeoutMs = std::max(1, m_limits.timeoutMs);
    m_limits.intervalMs = std::max(1, m_limits.intervalMs);
#ifdef REGSCOPE_PROBE_GRPC
    m_grpc = std::make_unique<GrpcHealthProbes>(this);
#endif
    m_clock.start();
    m_wake.setSingleShot(true);
    m_wake.setTimerType(Qt::PreciseTimer);
    connect(&m_wake, &QTimer::timeout, this, &ProberWorker::pump);
    m_send.setSingleShot(true);
    connect(&m_send, &QTimer::timeout, this, &ProberWorker::sendOutbox);
}

ProberWorker::~ProberWorker() {
    // Socket probes are children: they go with us, silently. gRPC calls are canceled.
    m_grpc.reset();
    m_stats->inFlight = 0;
}

QString ProberWorker::keyOf(const QString& instanceId, const QString& addr) {
    return instanceId + u'\n' + addr;
}

void ProberWorker::updateTargets(const std::vector<ProbeTarget>& upserted,
                                 const QStringList& removed) {
    for (const QString& id : removed)
        for (const QString& addr : m_addrsOf.take(id))
            m_jobs.remove(keyOf(id, addr));
    for (const ProbeTarget& t : upserted) {
        QStringList addrs = t.addrs;
        addrs.removeDuplicates();
        const QStringList before = m_addrsOf.value(t.instanceId);
        for (const QString& addr : before)
            if (!addrs.contains(addr))
                m_jobs.remove(keyOf(t.instanceId, addr));
        for (const QString& addr : addrs)
            if (!before.contains(addr))
                addJob(t.instanceId, addr);
        if (addrs.isEmpty())
            m_addrsOf.remove(t.instanceId);
        else
            m_addrsOf.insert(t.instanceId, addrs);
    }
    pump();
}

void ProberWorker::clearTargets() {
    m_jobs.clear();
    m_addrsOf.clear();
    m_due = {};
    m_outbox.clear();
}

void ProberWorker::addJob(const QString& instanceId, const QString& addr) {
    Job job;
    job.instanceId = instanceId;
    job.addr = addr;
    job.address = parseProbeAddress(addr);
    job.generation = ++m_generation;
    const QString key = keyOf(instanceId, addr);
    schedule(key, job, nowMs());
    m_jobs.insert(key, std::move(job));
}

void ProberWorker::schedule(const QString& key, const Job& job, qint64 atMs) {
    m_due.push(Due{atMs, ++m_seq, key, job.generation});
}

void ProberWorker::wakeIn(qint64 ms) {
    const int wait = int(std::clamp<qint64>(ms, 0, 24LL * 3600 * 1000));
    if (!m_wake.isActive() || m_wake.remainingTime() > wait)
        m_wake.start(wait);
}

void ProberWorker::pump() {
    // A probe that ends inside launch() (a bad address, a synchronous socket error) asks
    // again instead of nesting.
    if (m_pumping) {
        m_pumpAgain = true;
        return;
    }
    m_pumping = true;
    // The bucket holds one token and what one millisecond of timer granularity owes (timers
    // wake on whole milliseconds, a little late): that much lateness is made up, so the rate
    // reached is the rate asked, while a second holds at most rate + 1 starts.
    const double burst = 1.0 + m_limits.ratePerSecond / 1000.0;
    do {
        m_pumpAgain = false;
        while (!m_due.empty() && m_inFlight < m_limits.maxInFlight) {
            const Due top = m_due.top();
            auto it = m_jobs.find(top.key);
            if (it == m_jobs.end() || it->generation != top.generation || it->inFlight) {
                m_due.pop(); // removed or replaced meanwhile
                continue;
            }
            const qint64 now = nowMs();
            if (top.atMs > now) {
                wakeIn(top.atMs - now);
                break;
            }
            if (it->address) { // a bad address costs no token: nothing goes on the wire
                const qint64 ns = m_clock.nsecsElapsed();
                m_tokens = std::min(burst, m_tokens + double(ns - m_tokensAtNs) *
                                                          m_limits.ratePerSecond / 1e9);
                m_tokensAtNs = ns;
                if (m_tokens < 1.0) {
                    wakeIn(qint64(std::ceil((1.0 - m_tokens) * 1000.0 / m_limits.ratePerSecond)));
                    break;
                }
                m_tokens -= 1.0;
            }
            m_due.pop();
            launch(top.key, *it);
        }
    } while (m_pumpAgain);
    m_pumping = false;
}

void ProberWorker::launch(const QString& key, Job& job) {
    const qint64 wallMs = QDateTime::currentMSecsSinceEpoch();
    const qint64 startedNs = m_clock.nsecsElapsed();
    const quint64 generation = job.generation;
    if (!job.address) {
        finished(key, generation, wallMs, startedNs, ProbeState::Refused,
                 u"not probed: bad address (%1)"_s.arg(job.address.error()));
        return;
    }
    job.inFlight = true;
    ++m_inFlight;
    m_stats->started.fetch_add(1, std::memory_order_relaxed);
    const int now = m_stats->inFlight.fetch_add(1, std::memory_order_relaxed) + 1;
    int seen = m_stats->maxInFlight.load(std::memory_order_relaxed);
    while (now > seen && !m_stats->maxInFlight.compare_exchange_weak(seen, now)) {
    }
    auto done = [this, key, generation, wallMs, startedNs](ProbeState s, const QString& detail) {
        --m_inFlight;
        m_stats->inFlight.fetch_sub(1, std::memory_order_relaxed);
        m_stats->finished.fetch_add(1, std::memory_order_relaxed);
        finished(key, generation, wallMs, startedNs, s, detail);
        pump();
    };
    const ProbeAddress& a = *job.address;
#ifdef REGSCOPE_PROBE_GRPC
    if (a.kind == ProbeAddress::Kind::Grpc) {
        m_grpc->start(a, m_limits.timeoutMs, std::move(done));
        return;
    }
#endif
    startSocketProbe(this, a, m_limits.httpPath, m_limits.timeoutMs, std::move(done));
}

void ProberWorker::finished(const QString& key, quint64 generation, qint64 startedWallMs,
                            qint64 startedNs, ProbeState state, const QString& detail) {
    const auto it = m_jobs.find(key);
    if (it == m_jobs.end() || it->generation != generation)
        return; // the instance (or the address) went while it was probed
    it->inFlight = false;
    // Again one interval after this probe started, whatever it took.
    schedule(key, *it, startedNs / 1'000'000 + m_limits.intervalMs);
    ProbeEvent e;
    e.instanceId = it->instanceId;
    e.addr = it->addr;
    e.state = state;
    e.latencyMs = double(m_clock.nsecsElapsed() - startedNs) / 1e6;
    e.atMs = startedWallMs;
    e.detail = detail;
    emitVerdict(std::move(e));
}

void ProberWorker::emitVerdict(ProbeEvent e) {
    m_outbox.push_back(std::move(e));
    if (qsizetype(m_outbox.size()) >= kSendAtVerdicts)
        sendOutbox();
    else if (!m_send.isActive())
        m_send.start(kSendIntervalMs);
}

void ProberWorker::sendOutbox() {
    m_send.stop();
    if (m_outbox.empty())
        return;
    auto batch = std::make_shared<const EventBatch>(std::move(m_outbox));
    m_outbox = {};
    Q_EMIT eventsReady(std::move(batch));
}

} // namespace regscope
