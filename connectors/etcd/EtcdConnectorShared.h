#pragma once
// Private to the etcd connector: the state its key stream and its auxiliary poller share, and
// the one way either of them hands something to the connector (emit*). Not a public header.

#include "connectors/etcd/EtcdClient.h"
#include "connectors/etcd/EtcdOptions.h"
#include "models/SourceEvent.h"

#include <QDateTime>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>

namespace regscope {

class EtcdConnector;

struct EtcdRevisionRequest {
    quint64 id = 0;
    qint64 revision = 0;
};

struct EtcdConnectorShared {
    EtcdOptions options;
    QByteArray rangeKey; // first key of the prefix range
    QByteArray rangeEnd;

    std::atomic<bool> stopping{false};
    std::atomic<bool> snapshotCanceled{false};
    std::atomic<qint64> applied{0}; // the last revision whose events went out
    // Every client of one run joins it; stop() cancels it so no call outlives stop().
    std::shared_ptr<EtcdCallGroup> calls = std::make_shared<EtcdCallGroup>();

    // Guards stopping's wake-ups and the time-travel queue.
    std::mutex waitMutex;
    std::condition_variable waitCv;
    std::deque<EtcdRevisionRequest> requests; // bounded by EtcdConnector::requestRevisionState

    mutable std::mutex sharedMutex; // guards the fields below
    QString endpointInUse;
    EtcdWatchStream* currentWatch = nullptr;
    std::map<qint64, int> leaseRefs; // lease id -> number of keys on it

    std::atomic<bool> retryNow{false}; // the user asked to end the backoff wait

    // Interruptible backoff wait: false when stopping; a retryNow request ends it at once.
    bool waitFor(int ms) {
        std::unique_lock lock(waitMutex);
        waitCv.wait_for(lock, std::chrono::milliseconds(ms),
                        [&] { return stopping.load() || retryNow.load(); });
        retryNow = false;
        return !stopping;
    }
    void requestRetry() {
        {
            std::lock_guard lock(waitMutex);
            retryNow = true;
        }
        waitCv.notify_all();
    }

    // The connector the events go to; null once stop() has given up waiting for a worker, so
    // a worker that outlives its connector never touches it.
    void setSink(EtcdConnector* connector) {
        std::lock_guard lock(sinkMutex);
        sink = connector;
    }
    void emitBatch(EventBatch&& batch);
    // A page of the first load: waits (up to kPageWaitMs, or until stopping) while
    // kPagesInFlight earlier pages are still unapplied, so a fast server cannot pile up
    // copies of the prefix in the GUI thread's queue. A batch counts until its consumers
    // release it (the store does after applying it).
    void emitPage(EventBatch&& batch);
    static constexpr int kPagesInFlight = 2;
    static constexpr int kPageWaitMs = 2000;
    // Wakes a waiting emitPage (stop()).
    void wakePageWaiters() {
        { std::lock_guard lock(pages->mutex); }
        pages->cv.notify_all();
    }
    void emitHealth(HealthState state, const QString& reason);
    void emitRevisionState(const RevisionState& state);
    void timeline(EventBatch& batch, const QString& category, const QString& text) const {
        batch.push_back(TimelineEvent{QDateTime::currentMSecsSinceEpoch(), category,
                                      QString::fromUtf8(options.prefix), text});
    }

private:
    struct PagesInFlight {
        std::mutex mutex;
        std::condition_variable cv;
        int count = 0;
    };
    std::shared_ptr<PagesInFlight> pages = std::make_shared<PagesInFlight>();
    void send(EventBatchPtr batch);
    std::mutex sinkMutex;
    EtcdConnector* sink = nullptr;
};

} // namespace regscope
