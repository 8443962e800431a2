#pragma once
// The follower's stdout: a writer thread behind a bounded queue, so a slow reader slows the
// follower down (write() waits while more than the bound is queued) and a reader that stops
// reading ends it (nothing drained for stallMs with the queue over the bound), instead of
// stalling the event loop forever or growing without bound. The thread only writes after
// poll() says the fd takes PIPE_BUF bytes, so it never hangs in write() and stops on time.

#include <QByteArray>
#include <QObject>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace regscope {

class FollowWriter : public QObject {
    Q_OBJECT
public:
    struct Options {
        qint64 boundBytes = 16LL << 20; // queued beyond this, write() waits for the reader
        int stallMs = 10'000;           // ... this long without progress, then gives up
    };
    enum class Failure : quint8 {
        None,
        ReaderGone, // EPIPE: the reader closed its end (`| head`): end quietly
        Stalled,    // the reader took nothing for stallMs with the queue full
        Error,      // another write error (disk full...)
    };

    FollowWriter(int fd, Options options, QObject* parent = nullptr);
    ~FollowWriter() override; // stops the thread; what is still queued is dropped

    // Queues the bytes; false once the writer has failed (see failure()).
    bool write(QByteArray bytes);
    // Waits up to timeoutMs until everything queued is written; true when it was.
    bool drain(int timeoutMs);
    Failure failure() const { return m_failure.load(); }
    QString failureText() const; // a sentence for stderr
    qint64 bytesWritten() const { return m_written.load(); }

Q_SIGNALS:
    // Emitted once, from the writer thread (or from write()): connect queued.
    void failed();

private:
    void run();
    void fail(Failure f, int error);
    bool writeAll(const QByteArray& bytes);

    int m_fd;
    Options m_options;
    std::mutex m_mutex;
    std::condition_variable m_wake;  // the thread: data or stop
    std::condition_variable m_drain; // the producers: progress or failure
    std::deque<QByteArray> m_queue;
    qint64 m_queued = 0; // bytes in m_queue plus the chunk being written
    bool m_stop = false;
    std::atomic<Failure> m_failure{Failure::None};
    std::atomic<int> m_errno{0};
    std::atomic<qint64> m_written{0};
    std::thread m_thread;
};

} // namespace regscope
