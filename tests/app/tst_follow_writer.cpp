// FollowWriter on a real pipe: a slow reader that keeps reading gets every byte, in order
// (backpressure, never a failure); a reader that never reads makes write() give up after
// stallMs with Stalled; a reader that closes its end is ReaderGone; the destructor returns
// promptly even while the pipe is full.

#include "app/regscope/FollowWriter.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

using namespace regscope;

namespace {

struct Pipe {
    int r = -1, w = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) == 0) {
            r = fds[0];
            w = fds[1];
        }
    }
    ~Pipe() {
        closeRead();
        if (w >= 0)
            ::close(w);
    }
    void closeRead() {
        if (r >= 0)
            ::close(r);
        r = -1;
    }
};

QByteArray chunk(int i) {
    return QByteArray::number(i).rightJustified(8, '0') + QByteArray(8183, 'x') + '\n';
}

} // namespace

class TestFollowWriter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { std::signal(SIGPIPE, SIG_IGN); }

    void slowReaderGetsEverythingInOrder() {
        Pipe pipe;
        QByteArray got;
        std::thread reader([&] {
            char buf[16384];
            ssize_t n;
            while ((n = ::read(pipe.r, buf, sizeof buf)) > 0) {
                got.append(buf, n);
                std::this_thread::sleep_for(std::chrono::microseconds(200)); // a slow reader
            }
        });
        QByteArray want;
        {
            FollowWriter writer(pipe.w, {.boundBytes = 256 << 10, .stallMs = 2000});
            for (int i = 0; i < 1000; ++i) { // 8 MiB through a 256 KiB bound
                QVERIFY(writer.write(chunk(i)));
                want += chunk(i);
            }
            QVERIFY(writer.drain(20'000));
            QCOMPARE(writer.failure(), FollowWriter::Failure::None);
            QCOMPARE(writer.bytesWritten(), want.size());
        }
        ::close(pipe.w);
        pipe.w = -1;
        reader.join();
        QCOMPARE(got.size(), want.size());
        QVERIFY(got == want);
    }

    void readerThatNeverReadsIsStalled() {
        Pipe pipe;
        FollowWriter writer(pipe.w, {.boundBytes = 64 << 10, .stallMs = 300});
        QSignalSpy failed(&writer, &FollowWriter::failed);
        QElapsedTimer t;
        t.start();
        bool ok = true;
        for (int i = 0; i < 100 && ok; ++i) // 800 KiB: the pipe (64 KiB) and the bound fill
            ok = writer.write(chunk(i));
        QVERIFY(!ok);
        QCOMPARE(writer.failure(), FollowWriter::Failure::Stalled);
        QVERIFY(t.elapsed() >= 300);
        QVERIFY(t.elapsed() < 5000);
        QCOMPARE(failed.size(), 1);
        QVERIFY(writer.failureText().contains(QStringLiteral("took nothing")));
        QVERIFY(!writer.write(chunk(0))); // failed stays failed
    }

    void closedReaderIsReaderGone() {
        Pipe pipe;
        FollowWriter writer(pipe.w, {});
        pipe.closeRead();
        QVERIFY(writer.write(chunk(0)));
        QTRY_COMPARE_WITH_TIMEOUT(writer.failure(), FollowWriter::Failure::ReaderGone, 5000);
        QVERIFY(!writer.write(chunk(1)));
    }

    void destructorReturnsWhileThePipeIsFull() {
        Pipe pipe;
        QElapsedTimer t;
        {
            FollowWriter writer(pipe.w, {.boundBytes = 1 << 20, .stallMs = 10'000});
            for (int i = 0; i < 64; ++i) // 512 KiB: the pipe fills, the rest waits queued
                QVERIFY(writer.write(chunk(i)));
            QVERIFY(!writer.drain(200));
            t.start();
        }
        QVERIFY(t.elapsed() < 1000);
    }
};

QTEST_GUILESS_MAIN(TestFollowWriter)
#include "tst_follow_writer.moc"
