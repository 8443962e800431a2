#include "connectors/snapshot/SnapshotConnector.h"

#include "models/Snapshot.h"

#include <QDateTime>
#include <QFileInfo>
#include <QScopeGuard>
#include <QTimeZone>
#include <QUrl>

#include <condition_variable>
#include <mutex>

using namespace Qt::StringLiterals;

namespace regscope {

// What the worker and the connector share: the worker emits only while `target` is set, and
// stop() clears it under the same lock, so nothing reaches the signals after stop() returns.
struct SnapshotConnector::Shared {
    std::mutex mutex;
    std::condition_variable finishedChanged;
    SnapshotConnector* target = nullptr;
    bool finished = false;

    bool emitBatch(EventBatch batch) {
        const std::lock_guard lock(mutex);
        if (!target)
            return false;
        Q_EMIT target->eventsReady(std::make_shared<EventBatch>(std::move(batch)));
        return true;
    }
    bool emitHealth(HealthState state, QString reason) {
        EventBatch batch;
        batch.emplace_back(SourceHealth{state, std::move(reason)});
        return emitBatch(std::move(batch));
    }
};

bool SnapshotConnector::accepts(const QString& url) {
    return url.trimmed().startsWith(u"file://");
}

std::expected<QString, QString> SnapshotConnector::pathOf(const QString& url) {
    const QUrl parsed(url.trimmed(), QUrl::StrictMode);
    if (!parsed.isValid() || !parsed.isLocalFile() ||
        !(parsed.host().isEmpty() || parsed.host() == u"localhost") ||
        !parsed.path().startsWith(u'/'))
        return std::unexpected(
            u"not a snapshot URL: '%1' (expected file:///absolute/path.json)"_s.arg(url.trimmed()));
    return parsed.toLocalFile();
}

QString SnapshotConnector::badge(const QString& source, qint64 takenAtMs) {
    const QString at = QDateTime::fromMSecsSinceEpoch(takenAtMs, QTimeZone::utc())
                           .toString(u"yyyy-MM-dd HH:mm:ss"_s);
    return u"snapshot of %1 taken at %2 UTC"_s.arg(source.isEmpty() ? u"?"_s : source, at);
}

SnapshotConnector::SnapshotConnector(QString url, QString path, QObject* parent)
    : Connector(parent)
    , m_url(std::move(url))
    , m_path(std::move(path)) {}

SnapshotConnector::~SnapshotConnector() {
    stop();
}

void SnapshotConnector::start() {
    if (m_shared)
        return;
    m_shared = std::make_shared<Shared>();
    m_shared->target = this;
    m_thread = std::thread(&SnapshotConnector::run, m_shared, m_path);
}

void SnapshotConnector::stop() {
    if (!m_shared)
        return;
    std::unique_lock lock(m_shared->mutex);
    m_shared->target = nullptr;
    // A parse still busy at the deadline finishes alone (it holds its own share of the state).
    const bool finished = m_shared->finishedChanged.wait_for(
        lock, std::chrono::milliseconds(kConnectorStopDeadlineMs),
        [this] { return m_shared->finished; });
    lock.unlock();
    if (finished)
        m_thread.join();
    else
        m_thread.detach();
    m_shared.reset();
}

void SnapshotConnector::run(std::shared_ptr<Shared> shared, QString path) {
    const auto done = qScopeGuard([&shared] {
        const std::lock_guard lock(shared->mutex);
        shared->finished = true;
        shared->finishedChanged.notify_all();
    });
    const double mb = double(QFileInfo(path).size()) / (1 << 20);
    if (!shared->emitHealth(HealthState::Connecting,
                            u"reading snapshot %1 (%2 MB)"_s.arg(path).arg(mb, 0, 'f', 1)))
        return;
    auto read = readSnapshotFile(path);
    if (!read) {
        shared->emitHealth(HealthState::Down, read.error());
        return;
    }
    SourceSnapshot& s = read->front();
    EventBatch records;
    for (RecordKind kind : {RecordKind::Entry, RecordKind::Instance, RecordKind::Key})
        records.emplace_back(SnapshotEvent{kind, std::move(s.of(kind)), 0});
    if (!shared->emitBatch(std::move(records)))
        return;
    EventBatch history;
    history.reserve(s.metrics.size() + s.timeline.size() + 1);
    for (MetricsSample& sample : s.metrics)
        history.emplace_back(std::move(sample));
    for (TimelineEvent& event : s.timeline)
        history.emplace_back(std::move(event));
    QString reason = badge(s.source, s.takenAtMs);
    if (read->size() > 1)
        reason += u" (the first of its %1 sources)"_s.arg(read->size());
    history.emplace_back(SourceHealth{HealthState::Live, std::move(reason)});
    shared->emitBatch(std::move(history));
}

} // namespace regscope
