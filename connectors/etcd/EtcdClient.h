#pragma once
// A blocking etcd v3 client for ONE endpoint (gRPC sync API). Every call has a deadline.
// Used from worker threads only (connector, registration, tests, bench). The gRPC types stay
// in EtcdClient.cpp: this header is gRPC-free.

#include "connectors/etcd/EtcdError.h"
#include "connectors/etcd/EtcdOptions.h"
#include "models/SourceEvent.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <utility>
#include <vector>

namespace regscope {

struct EtcdRangeRequest {
    QByteArray key;
    QByteArray rangeEnd; // empty: just key
    qint64 revision = 0; // 0: latest
    qint64 limit = 0;    // 0: no limit
    bool keysOnly = false;
    bool countOnly = false;
};

struct EtcdRangePage {
    std::vector<KeyRecord> kvs;
    qint64 revision = 0; // header revision
    qint64 count = 0;    // keys in the whole range at that revision
    bool more = false;
};

struct EtcdWatchEvent {
    bool isDelete = false;
    KeyRecord kv;
    KeyRecord prevKv; // empty key: none
};

struct EtcdWatchResponse {
    qint64 headerRevision = 0;
    qint64 watchId = 0;
    bool created = false;
    bool canceled = false;
    qint64 compactRevision = 0;
    QString cancelReason;
    std::vector<EtcdWatchEvent> events;
};

struct EtcdWatchRequest {
    QByteArray key;
    QByteArray rangeEnd;
    qint64 startRevision = 0;
    bool prevKv = true;
    bool progressNotify = true;
};

// A put or a delete done only if the keys it touches are as the user saw them: one Txn whose
// compare is on mod_revision over [guardKey, guardRangeEnd); when it fails, the range is read
// back in the same Txn (so the conflict shows the value that won).
struct EtcdGuardedWrite {
    enum class Op : quint8 { Put, Delete };
    enum class Guard : quint8 {
        ModEquals,   // mod_revision == modRevision (0: the key must not exist)
        ModLessThan, // every key in the range has mod_revision < modRevision
    };
    Op op = Op::Put;
    QByteArray key;
    QByteArray rangeEnd; // Delete: empty deletes just key
    QByteArray value;    // Put
    qint64 lease = 0;    // Put
    Guard guard = Guard::ModEquals;
    qint64 modRevision = 0;
    qint64 readBackLimit = 1;          // keys read back on failure
    qint64 readBackMinModRevision = 0; // on failure read only keys changed since (0: all)
};

struct EtcdGuardedOutcome {
    bool succeeded = false;
    qint64 revision = 0;          // header revision of the Txn
    qint64 deleted = 0;           // Delete: keys deleted
    std::vector<KeyRecord> found; // on failure: the guarded range now (up to readBackLimit)
    qint64 foundCount = 0;        // on failure: keys in the guarded range now
};

// One open Watch stream (hasleader metadata set: it ends when the member loses its leader).
class EtcdWatchStream {
public:
    ~EtcdWatchStream();
    // Blocks until the next response; an error when the stream ends.
    EtcdResult<EtcdWatchResponse> read();
    // From any thread: makes a blocked read() return Canceled.
    void cancel();

private:
    friend class EtcdClient;
    struct Impl;
    explicit EtcdWatchStream(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

// One lease kept alive over a LeaseKeepAlive stream.
class EtcdKeepAliveStream {
public:
    ~EtcdKeepAliveStream();
    // Sends one keep-alive and waits for its answer: the new TTL (0: the lease is gone).
    EtcdResult<qint64> keepAlive(qint64 leaseId, int timeoutMs);
    // The two halves, for a client that keeps several keep-alives in flight on the one
    // stream as etcd's clientv3 lessor does (one thread may send while another receives):
    // send() false means the stream is gone; receive() gives the next answer's TTL.
    bool send(qint64 leaseId);
    EtcdResult<qint64> receive();
    void cancel();

private:
    friend class EtcdClient;
    struct Impl;
    explicit EtcdKeepAliveStream(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

// Calls that end together: cancelAll() ends every unary call in flight at once (instead of
// letting it run to its deadline) and makes every later call and connect() fail at once, so a
// connector's stop() never waits on an unresponsive member. Shared by a connector's clients.
class EtcdCallGroup {
public:
    EtcdCallGroup();
    ~EtcdCallGroup();
    EtcdCallGroup(const EtcdCallGroup&) = delete;
    EtcdCallGroup& operator=(const EtcdCallGroup&) = delete;

    void cancelAll();
    bool canceled() const;

    struct Impl; // opaque: the in-flight gRPC contexts live in EtcdClient.cpp

private:
    friend class EtcdClient;
    std::unique_ptr<Impl> d;
};

// Errors that retrying cannot mend (bad credentials, auth not enabled, a refused argument).
bool isPermanent(EtcdError::Code code);

class EtcdClient {
public:
    // endpoint "host:port"; tls/user/password/timeouts from options.
    EtcdClient(const QString& endpoint, const EtcdOptions& options);
    ~EtcdClient();
    EtcdClient(const EtcdClient&) = delete;
    EtcdClient& operator=(const EtcdClient&) = delete;

    QString endpoint() const;
    // Deadline of each later unary call (the registrator passes its own per call).
    void setCallTimeoutMs(int ms);
    // Joins the group: its cancelAll() ends this client's calls (set before the first call).
    void setCallGroup(std::shared_ptr<EtcdCallGroup> group);

    // Waits for the channel to connect, then authenticates when a user is set. A failure says
    // what happened: refused, timed out (accepts and stays silent), not an etcd/gRPC server.
    EtcdResult<void> connect();

    EtcdResult<EtcdRangePage> range(const EtcdRangeRequest& request);
    EtcdResult<qint64> put(const QByteArray& key, const QByteArray& value, qint64 lease = 0);
    EtcdResult<qint64> deleteRange(const QByteArray& key, const QByteArray& rangeEnd = {});
    EtcdResult<qint64> compact(qint64 revision, bool physical = true);
    EtcdResult<EtcdGuardedOutcome> guardedWrite(const EtcdGuardedWrite& write);
    // Many puts, fast: Txn batches of up to 128 puts, up to `inFlight` batches pipelined.
    // Returns the revision of the last batch.
    EtcdResult<qint64> putMany(const std::vector<std::pair<QByteArray, QByteArray>>& kvs,
                               int inFlight = 8);

    struct Lease {
        qint64 id = 0;
        qint64 ttl = 0;
    };
    EtcdResult<Lease> leaseGrant(qint64 ttlSeconds);
    EtcdResult<void> leaseRevoke(qint64 id);
    EtcdResult<LeaseInfo> leaseTimeToLive(qint64 id, bool withKeys);
    EtcdResult<std::vector<qint64>> leaseList();
    // deadlineMs > 0 bounds the whole stream (one-shot renewals); 0: open-ended.
    EtcdResult<std::unique_ptr<EtcdKeepAliveStream>> openKeepAlive(int deadlineMs = 0);

    EtcdResult<ClusterMember> status();
    EtcdResult<ClusterSample> memberList();

    EtcdResult<std::unique_ptr<EtcdWatchStream>> watch(const EtcdWatchRequest& request);

    // The oldest revision still readable (the compaction floor), found by bisection with
    // count-only Ranges (etcd has no call that tells it).
    EtcdResult<qint64> compactFloor(qint64 currentRevision);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace regscope
