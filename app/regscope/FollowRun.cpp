// --follow jsonl: the attached source as JSON lines on stdout (models/FollowStream.h) until
// SIGINT/SIGTERM or --for; exit 0 then, 3 when the source was never live within --deadline,
// 4 when it was lost for longer than --deadline (or stdout's reader stopped reading).

#include "app/regscope/FollowWriter.h"
#include "app/regscope/QuitOnSignal.h"
#include "app/regscope/RunModes.h"
#include "app/regscope/Session.h"
#include "models/FollowStream.h"
#include "models/Store.h"
#include "models/alerts/AlertEngine.h"

#include <QCoreApplication>
#include <QEvent>
#include <QSettings>
#include <QTimer>

#include <csignal>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QString describe(const SourceHealth& h) {
    return toString(h.state) + (h.reason.isEmpty() ? QString() : u" ("_s % h.reason % u')');
}

// The health rules of a follower: never live within the deadline is exit 3; live, then not
// live for longer than the deadline, is exit 4.
class FollowWatch : public QObject {
public:
    FollowWatch(Store* store, FollowStream* stream, const CommandLine& cl)
        : m_store(store)
        , m_url(cl.url)
        , m_deadlineMs(cl.deadlineMs) {
        m_lost.setSingleShot(true);
        m_lost.setInterval(m_deadlineMs);
        connect(&m_lost, &QTimer::timeout, this, [this] {
            printError(u"lost %1: not live for %2 s: %3"_s.arg(m_url)
                           .arg(m_deadlineMs / 1000.0)
                           .arg(describe(m_store->health())));
            QCoreApplication::exit(kExitLost);
        });
        QTimer::singleShot(m_deadlineMs, this, [this, stream] {
            if (stream->isSynced())
                return;
            m_store->flush();
            printError(u"cannot reach %1: %2"_s.arg(m_url, describe(m_store->health())));
            QCoreApplication::exit(kExitUnreachable);
        });
        connect(store, &Store::healthChanged, this, [this, stream](const SourceHealth& h) {
            if (!stream->isSynced())
                return;
            if (h.state == HealthState::Live)
                m_lost.stop();
            else if (!m_lost.isActive())
                m_lost.start();
        });
    }

private:
    Store* m_store;
    QString m_url;
    int m_deadlineMs;
    QTimer m_lost;
};

Store::Options followStoreOptions() {
    Store::Options o;
    // A follower has no window to repaint: it flushes more often, for a shorter lag.
    o.flushIntervalMs = 10;
    return o;
}

} // namespace

int runFollow(const CommandLine& cl) {
    if (cl.urls.size() > 1) {
        printError(u"--follow follows one source; got %1 --connect"_s.arg(cl.urls.size()));
        return kExitUsage;
    }
    std::signal(SIGPIPE, SIG_IGN); // a closed reader is EPIPE, seen by the writer
    Store store(followStoreOptions());
    Session session(&store);
    if (auto attached = session.attach(cl.url); !attached) {
        printError(attached.error().message);
        return kExitUsage;
    }
    FollowWriter writer(STDOUT_FILENO,
                        FollowWriter::Options{.stallMs = std::max(1000, cl.deadlineMs)});
    FollowStream stream(&store, cl.url, [&writer](QByteArray lines) {
        writer.write(std::move(lines)); // a failure is reported through failed()
    });
    QObject::connect(
        &writer, &FollowWriter::failed, &store,
        [&writer] {
            if (writer.failure() == FollowWriter::Failure::ReaderGone) {
                QCoreApplication::exit(0); // `| head`: the reader has what it wanted
                return;
            }
            printError(writer.failureText());
            QCoreApplication::exit(kExitIo);
        },
        Qt::QueuedConnection);
    FollowWatch watch(&store, &stream, cl);
    // The window's alert rules (Settings ▸ Alerts…), raised and cleared as {"op":"alert"}
    // lines; made after the stream, so an alert of a flush follows that flush's changes.
    QSettings settings;
    AlertEngine alerts(&store, AlertRules::load(settings));
    alerts.setSourceName([&cl] { return cl.url; });
    for (const auto signal : {&AlertEngine::raised, &AlertEngine::cleared})
        QObject::connect(&alerts, signal, &stream,
                         [&stream](const Alert& a) { stream.writeAlert(toJson(a)); });
    quitOnTerminationSignals();
    if (cl.forMs > 0)
        QTimer::singleShot(cl.forMs, &store, [] { QCoreApplication::exit(0); });

    const int code = QCoreApplication::exec();
    if (code == 0 && writer.failure() == FollowWriter::Failure::None) {
        // What the source sent before the stop is written too: the batches already posted
        // to the Store, then the Store's pending flush.
        QCoreApplication::sendPostedEvents(&store, QEvent::MetaCall);
        store.flush();
        session.detach();
        if (!writer.drain(std::max(2000, cl.deadlineMs)) &&
            writer.failure() != FollowWriter::Failure::ReaderGone) {
            printError(writer.failure() == FollowWriter::Failure::None
                           ? u"stdout: the reader did not take the last lines in time"_s
                           : writer.failureText());
            return kExitIo;
        }
    }
    session.detach();
    return code;
}

} // namespace regscope
