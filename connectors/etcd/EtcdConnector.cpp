#include "connectors/etcd/EtcdConnector.h"

#include "connectors/etcd/EtcdAuxPoller.h"
#include "connectors/etcd/EtcdConnectorShared.h"
#include "connectors/etcd/EtcdKeyStream.h"

#include <QDebug>

#include <future>
#include <thread>

using namespace Qt::StringLiterals;

namespace regscope {

void EtcdConnectorShared::send(EventBatchPtr batch) {
    std::lock_guard lock(sinkMutex);
    if (sink)
        Q_EMIT sink->eventsReady(std::move(batch));
}

void EtcdConnectorShared::emitBatch(EventBatch&& batch) {
    if (!batch.empty())
        send(std::make_shared<EventBatch>(std::move(batch)));
}

void EtcdConnectorShared::emitPage(EventBatch&& batch) {
    {
        std::unique_lock lock(pages->mutex);
        pages->cv.wait_for(lock, std::chrono::milliseconds(kPageWaitMs),
                           [&] { return pages->count < kPagesInFlight || stopping.load(); });
        ++pages->count; // also past the deadline: a consumer that keeps batches only slows us
    }
    auto release = [counter = pages](const EventBatch* b) {
        delete b;
        {
            std::lock_guard lock(counter->mutex);
            --counter->count;
        }
        counter->cv.notify_all();
    };
    send(EventBatchPtr(new EventBatch(std::move(batch)), std::move(release)));
}

void EtcdConnectorShared::emitHealth(HealthState state, const QString& reason) {
    EventBatch b;
    b.push_back(SourceHealth{state, reason});
    emitBatch(std::move(b));
}

void EtcdConnectorShared::emitRevisionState(const RevisionState& state) {
    std::lock_guard lock(sinkMutex);
    if (sink)
        Q_EMIT sink->controls()->revisionStateReady(state);
}

class EtcdConnector::Controls : public SourceControls {
public:
    explicit Controls(EtcdConnector* etcd)
        : m_etcd(etcd) {}
    bool canCancelLoad() const override { return true; }
    void cancelLoad() override { m_etcd->cancelSnapshot(); }
    bool canRetryNow() const override { return true; }
    void retryNow() override { m_etcd->retryNow(); }
    bool supportsTimeTravel() const override { return true; }
    void requestRevisionState(quint64 requestId, qint64 revision) override {
        m_etcd->requestRevisionState(requestId, revision);
    }

private:
    EtcdConnector* m_etcd;
};

namespace {

// One owned worker thread: it reports when its work is done, so stop() can wait for it with a
// deadline and never hang on it.
struct Worker {
    std::thread thread;
    std::future<void> done;

    template <typename Fn>
    void start(Fn fn) {
        std::promise<void> finished;
        done = finished.get_future();
        thread = std::thread([fn = std::move(fn), finished = std::move(finished)]() mutable {
            fn();
            finished.set_value();
        });
    }
    // Joins when the work ends before the deadline; otherwise lets the thread finish on its
    // own (it holds everything it uses) and says false.
    bool finish(std::chrono::steady_clock::time_point deadline) {
        if (!thread.joinable())
            return true;
        if (done.wait_until(deadline) == std::future_status::ready) {
            thread.join();
            return true;
        }
        thread.detach();
        return false;
    }
};

} // namespace

struct EtcdConnector::Impl {
    std::shared_ptr<EtcdConnectorShared> shared = std::make_shared<EtcdConnectorShared>();
    std::shared_ptr<EtcdKeyStream> keys;
    std::shared_ptr<EtcdAuxPoller> aux;
    Worker keyThread;
    Worker auxThread;
};

EtcdConnector::EtcdConnector(EtcdOptions options, QObject* parent)
    : Connector(parent)
    , d(std::make_unique<Impl>())
    , m_controls(std::make_unique<Controls>(this)) {
    EtcdConnectorShared& s = *d->shared;
    s.options = std::move(options);
    if (s.options.prefix.isEmpty()) {
        s.rangeKey = QByteArray(1, '\0');
        s.rangeEnd = QByteArray(1, '\0');
    } else {
        s.rangeKey = s.options.prefix;
        s.rangeEnd = prefixRangeEnd(s.options.prefix);
    }
    s.setSink(this);
    d->keys = std::make_shared<EtcdKeyStream>(d->shared);
    registerEtcdMetaTypes();
}

EtcdResult<std::unique_ptr<EtcdConnector>> EtcdConnector::fromUrl(const QString& url,
                                                                  QObject* parent) {
    auto options = parseEtcdUrl(url);
    if (!options)
        return std::unexpected(options.error());
    return std::make_unique<EtcdConnector>(std::move(*options), parent);
}

EtcdConnector::~EtcdConnector() {
    stop();
    d->shared->setSink(nullptr); // a worker stop() gave up on never reaches this object
}

void EtcdConnector::start() {
    stop(); // a start while running restarts; a finished worker (snapshot canceled) is joined
    EtcdConnectorShared& s = *d->shared;
    // stop() canceled the last run's calls for good: this run gets a new group and clients.
    s.calls = std::make_shared<EtcdCallGroup>();
    s.stopping = false;
    s.snapshotCanceled = false;
    d->aux = std::make_shared<EtcdAuxPoller>(d->shared);
    d->keyThread.start([keys = d->keys] { keys->run(); });
    d->auxThread.start([aux = d->aux] { aux->run(); });
}

void EtcdConnector::stop() {
    EtcdConnectorShared& s = *d->shared;
    {
        std::lock_guard lock(s.waitMutex);
        s.stopping = true;
    }
    s.waitCv.notify_all();
    {
        std::lock_guard lock(s.sharedMutex);
        if (s.currentWatch)
            s.currentWatch->cancel();
    }
    s.calls->cancelAll(); // unary calls in flight end now, not at their deadline
    s.wakePageWaiters();
    // Canceled calls end at once; the bound is for a worker stuck where no cancel reaches.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStopMs);
    const bool keysJoined = d->keyThread.finish(deadline);
    const bool auxJoined = d->auxThread.finish(deadline);
    if (keysJoined && auxJoined)
        return;
    qWarning() << "etcd worker did not end within" << kStopMs
               << "ms of stop(); left to finish on its own";
    // The stragglers keep the old state; this connector goes on with a fresh one.
    const bool storeHasKeys = d->keys->emittedKeys();
    const qint64 applied = s.applied;
    auto fresh = std::make_shared<EtcdConnectorShared>();
    fresh->options = s.options;
    fresh->rangeKey = s.rangeKey;
    fresh->rangeEnd = s.rangeEnd;
    fresh->applied = applied;
    s.setSink(nullptr);
    fresh->setSink(this);
    d->shared = std::move(fresh);
    d->keys = std::make_shared<EtcdKeyStream>(d->shared);
    if (storeHasKeys)
        d->keys->assumeKeysEmitted();
}

QString EtcdConnector::url() const {
    return toEtcdUrl(d->shared->options);
}

const EtcdOptions& EtcdConnector::options() const {
    return d->shared->options;
}

qint64 EtcdConnector::appliedRevision() const {
    return d->shared->applied;
}

QString EtcdConnector::endpointInUse() const {
    std::lock_guard lock(d->shared->sharedMutex);
    return d->shared->endpointInUse;
}

SourceControls* EtcdConnector::controls() {
    return m_controls.get();
}

void EtcdConnector::cancelSnapshot() {
    d->shared->snapshotCanceled = true;
}

void EtcdConnector::retryNow() {
    d->shared->requestRetry();
}

void EtcdConnector::requestRevisionState(quint64 requestId, qint64 revision) {
    EtcdConnectorShared& s = *d->shared;
    {
        std::lock_guard lock(s.waitMutex);
        if (s.requests.size() >= 8)
            s.requests.pop_front(); // the user moved on: drop the oldest question
        s.requests.push_back({requestId, revision});
    }
    s.waitCv.notify_all();
}

void registerEtcdMetaTypes() {
    qRegisterMetaType<regscope::LeaseInfo>();
    qRegisterMetaType<regscope::ClusterSample>();
    qRegisterMetaType<regscope::RevisionState>();
}

} // namespace regscope
