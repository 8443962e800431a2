#include "app/regscope/FollowWriter.h"

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <poll.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace regscope {

FollowWriter::FollowWriter(int fd, Options options, QObject* parent)
    : QObject(parent)
    , m_fd(fd)
    , m_options(options)
    , m_thread([this] { run(); }) {}

FollowWriter::~FollowWriter() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join(); // within one poll interval: the thread never blocks in write()
}

bool FollowWriter::write(QByteArray bytes) {
    if (bytes.isEmpty())
        return failure() == Failure::None;
    std::unique_lock lock(m_mutex);
    // Backpressure: wait for the reader while the queue is over the bound; give up only when
    // it took nothing for stallMs.
    while (m_queued > m_options.boundBytes && failure() == Failure::None) {
        const qint64 before = m_written.load();
        m_drain.wait_for(lock, std::chrono::milliseconds(m_options.stallMs),
                         [&] { return m_written.load() != before || failure() != Failure::None; });
        if (m_written.load() == before && failure() == Failure::None) {
            lock.unlock();
            fail(Failure::Stalled, 0);
            return false;
        }
    }
    if (failure() != Failure::None)
        return false;
    m_queued += bytes.size();
    m_queue.push_back(std::move(bytes));
    lock.unlock();
    m_wake.notify_one();
    return true;
}

bool FollowWriter::drain(int timeoutMs) {
    std::unique_lock lock(m_mutex);
    return m_drain.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] {
        return m_queued == 0 || failure() != Failure::None;
    }) && m_queued == 0;
}

QString FollowWriter::failureText() const {
    switch (failure()) {
    case Failure::None:
        return {};
    case Failure::ReaderGone:
        return u"stdout: the reader closed the pipe"_s;
    case Failure::Stalled:
        return u"stdout: the reader took nothing for %1 s with more than %2 MiB of lines "
               u"waiting; stopping"_s.arg(m_options.stallMs / 1000.0)
                   .arg(m_options.boundBytes >> 20);
    case Failure::Error:
        return u"stdout: cannot write: "_s + QString::fromLocal8Bit(std::strerror(m_errno.load()));
    }
    return {};
}

void FollowWriter::fail(Failure f, int error) {
    Failure none = Failure::None;
    if (!m_failure.compare_exchange_strong(none, f))
        return;
    m_errno = error;
    {
        std::lock_guard lock(m_mutex); // a waiter checks under the lock: wake it for sure
    }
    m_drain.notify_all();
    Q_EMIT failed();
}

// Writes PIPE_BUF at a time, each after poll() says there is room, so a reader that stops
// never leaves the thread stuck in write() (a stop is seen within 100 ms).
bool FollowWriter::writeAll(const QByteArray& bytes) {
    qsizetype done = 0;
    auto lastProgress = std::chrono::steady_clock::now();
    while (done < bytes.size()) {
        pollfd pfd{m_fd, POLLOUT, 0};
        const int ready = ::poll(&pfd, 1, 100);
        if (ready < 0 && errno != EINTR) {
            fail(Failure::Error, errno);
            return false;
        }
        {
            std::lock_guard lock(m_mutex);
            if (m_stop)
                return false;
        }
        if (ready <= 0) {
            // The stall is judged here too: one flush's lines can arrive in a single write()
            // (a loaded machine coalesces flushes), after which no write() waits to see it.
            const auto idle = std::chrono::steady_clock::now() - lastProgress;
            bool over = false;
            {
                std::lock_guard lock(m_mutex);
                over = m_queued > m_options.boundBytes;
            }
            if (over && idle >= std::chrono::milliseconds(m_options.stallMs)) {
                fail(Failure::Stalled, 0);
                return false;
            }
            continue;
        }
        if (pfd.revents & (POLLERR | POLLHUP)) {
            fail(Failure::ReaderGone, EPIPE);
            return false;
        }
        const size_t chunk = std::min<size_t>(PIPE_BUF, size_t(bytes.size() - done));
        const ssize_t n = ::write(m_fd, bytes.constData() + done, chunk);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            fail(errno == EPIPE ? Failure::ReaderGone : Failure::Error, errno);
            return false;
        }
        done += n;
        m_written += n;
        lastProgress = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(m_mutex);
            m_queued -= n;
        }
        m_drain.notify_all();
    }
    return true;
}

void FollowWriter::run() {
    while (true) {
        QByteArray next;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stop || !m_queue.empty(); });
            if (m_stop)
                return;
            next = std::move(m_queue.front());
            m_queue.pop_front();
        }
        if (!writeAll(next))
            return;
    }
}

} // namespace regscope
