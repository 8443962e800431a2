#include "app/regscope/DiffOperand.h"

#include "app/regscope/Session.h"
#include "app/regscope/WhenReady.h"
#include "connectors/snapshot/SnapshotConnector.h"
#include "models/Store.h"

#include <QTimer>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

// A live operand: its own store and session, gone once it has been taken.
struct LiveOperand {
    Store store;
    Session session{&store};
};

std::expected<SourceSnapshot, QString> readFileOperand(const QString& operand) {
    QString path = operand;
    if (SnapshotConnector::accepts(operand)) {
        auto local = SnapshotConnector::pathOf(operand);
        if (!local)
            return std::unexpected(local.error());
        path = *local;
    }
    auto read = readSnapshotFile(path);
    if (!read)
        return std::unexpected(read.error());
    return std::move(read->front());
}

void loadLive(const QString& url, int deadlineMs, OperandDone done) {
    auto live = std::make_shared<LiveOperand>();
    if (auto attached = live->session.attach(url); !attached) {
        done(std::unexpected(attached.error().message));
        return;
    }
    // Ready as for --dump: live, the first snapshot applied, one metrics sample in.
    Store* store = &live->store;
    whenReady(
        store, deadlineMs,
        [store] { return store->health().state == HealthState::Live && !store->metrics().empty(); },
        [live, url, done = std::move(done)](bool reached) mutable {
            live->store.flush();
            if (!reached) {
                const SourceHealth h = live->store.health();
                done(std::unexpected(u"cannot reach %1: %2%3"_s.arg(
                    url, toString(h.state),
                    h.reason.isEmpty() ? QString() : u" ("_s % h.reason % u')')));
            } else {
                done(takeSnapshot(live->store, url));
            }
            live->session.detach();
            // The store owns the timer that called us: let it unwind before it goes.
            QTimer::singleShot(0, [keep = std::move(live)] {});
        });
}

} // namespace

bool isSourceUrl(const QString& operand) {
    const QString t = operand.trimmed();
    if (SnapshotConnector::accepts(t))
        return false;
    return t == u"demo" || t.startsWith(u"demo?") || t.contains(u"://");
}

void loadOperand(const QString& operand, int deadlineMs, OperandDone done) {
    QTimer::singleShot(0, [operand, deadlineMs, done = std::move(done)]() mutable {
        if (isSourceUrl(operand))
            loadLive(operand.trimmed(), deadlineMs, std::move(done));
        else
            done(readFileOperand(operand));
    });
}

} // namespace regscope
