#include "connectors/attach/AttachWorker.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
constexpr qsizetype kBatchEvents = 20000; // emit at once past this many events
constexpr int kIdleWaitMs = 250;
constexpr int kHelloTimeoutMs = 5000;

qint64 nowMs() {
    return QDateTime::currentMSecsSinceEpoch();
}
} // namespace

AttachWorker::AttachWorker(AttachConnector::Options options, Emit sink)
    : m_options(std::move(options))
    , m_emit(std::move(sink))
    , m_wakeFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

AttachWorker::~AttachWorker() {
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
}

void AttachWorker::requestStop() {
    m_stopping = true;
    const quint64 one = 1;
    if (m_wakeFd >= 0) [[maybe_unused]]
        const auto n = ::write(m_wakeFd, &one, sizeof one);
}

void AttachWorker::detach() {
    std::lock_guard lock(m_emitMutex);
    m_detached = true;
}

void AttachWorker::push(SourceEvent event) {
    if (!m_batch) {
        m_batch = std::make_shared<EventBatch>();
        m_batchAge.start();
    }
    m_batch->push_back(std::move(event));
}

void AttachWorker::flush(bool force) {
    if (!m_batch || m_batch->empty())
        return;
    if (!force && m_batchAge.elapsed() < m_options.batchIntervalMs &&
        qsizetype(m_batch->size()) < kBatchEvents)
        return;
    EventBatchPtr batch = std::move(m_batch);
    m_batch.reset();
    std::lock_guard lock(m_emitMutex);
    if (!m_detached)
        m_emit(std::move(batch));
}

void AttachWorker::emitNow(SourceEvent event) {
    push(std::move(event));
    flush(true);
}

bool AttachWorker::sleepFor(int ms) {
    pollfd p{m_wakeFd, POLLIN, 0};
    ::poll(&p, 1, ms);
    return !m_stopping;
}

void AttachWorker::run() {
    m_path = m_options.socketPath;
    emitNow(SourceHealth{HealthState::Connecting, u"attaching to %1"_s.arg(m_options.url)});
    while (!m_stopping) {
        QString why;
        if (session(m_path, &why) == End::Stopped)
            break;
        flush(true);
        if (!m_options.reattach) {
            emitNow(SourceHealth{HealthState::Down, why});
            break;
        }
        const QString what = m_haveHost ? QFileInfo(m_host.exe).fileName() : m_path;
        emitNow(SourceHealth{HealthState::Down,
                             why % u"; reattaching when "_s % what % u" comes back"_s});
        QString next;
        while (!m_stopping && (next = findReattachTarget()).isEmpty())
            sleepFor(m_options.reattachPollMs);
        if (m_stopping)
            break;
        m_path = next;
        push(TimelineEvent{nowMs(), u"resync"_s, what, u"reattaching: %1"_s.arg(next)});
        emitNow(SourceHealth{HealthState::Connecting, u"reattaching to %1"_s.arg(next)});
    }
    flush(true);
}

AttachWorker::End AttachWorker::session(const QString& path, QString* why) {
    auto opened = attach::AttachSocket::open(path, QDeadlineTimer(m_options.connectTimeoutMs),
                                             m_options.protocol, m_wakeFd);
    if (m_stopping)
        return End::Stopped;
    if (!opened) {
        *why = opened.error().message;
        return End::Lost;
    }
    attach::AttachSocket socket = std::move(*opened);
    auto hello = socket.readFrame(QDeadlineTimer(kHelloTimeoutMs), m_wakeFd);
    if (m_stopping)
        return End::Stopped;
    if (!hello || hello->value(u"type").toString() != u"hello") {
        *why = hello ? u"the host did not start with hello"_s : hello.error().message;
        return End::Lost;
    }
    m_host = attach::decodeHello(*hello);
    m_haveHost = true;
    m_initial = true;
    m_initialPending.clear();
    m_initialRecords.clear();
    m_deferred.clear();
    m_lastErrorCode.clear();
    m_lastErrorMessage.clear();
    m_metrics = {};
    for (RegistryState& state : m_registries) {
        state.pending.clear();
        state.inSnapshot = false;
    }
    for (const auto& r : m_host.registries)
        m_initialPending.insert(r.name);
    push(TimelineEvent{nowMs(), u"resync"_s, m_host.label(),
                       u"attached to %1 (%2), %3 registries"_s.arg(m_host.label(), m_host.exe)
                           .arg(m_host.registries.size())});
    if (m_initialPending.isEmpty())
        finishInitial();
    for (;;) {
        const int wait =
            m_batch ? std::max<int>(0, m_options.batchIntervalMs - int(m_batchAge.elapsed()))
                    : kIdleWaitMs;
        const bool readable = socket.waitReadable(QDeadlineTimer(wait), m_wakeFd);
        if (m_stopping) {
            [[maybe_unused]] auto bye =
                socket.send(QJsonObject{{u"type"_s, u"bye"_s}}, QDeadlineTimer(100));
            return End::Stopped;
        }
        std::optional<attach::AttachError> ended;
        if (readable) {
            if (auto read = socket.readAvailable(); !read)
                ended = read.error();
        }
        while (auto frame = socket.nextFrame()) {
            if (!*frame) {
                *why = u"%1: %2; detached"_s.arg(m_host.label(), frame->error().message);
                return End::Lost;
            }
            if (!handleFrame(**frame, why))
                return End::Lost;
        }
        flush(false);
        if (ended) {
            *why = endReason(ended->message);
            return End::Lost;
        }
    }
}

QString AttachWorker::endReason(const QString& fallback) {
    // After SIGKILL the socket closes before the process is a zombie: give /proc a moment.
    QDeadlineTimer settle(500);
    bool alive = attach::processAlive(m_host.pid);
    while (alive && m_lastErrorCode != u"shutting_down" && !settle.hasExpired()) {
        if (!sleepFor(10))
            break;
        alive = attach::processAlive(m_host.pid);
    }
    if (!alive || m_lastErrorCode == u"shutting_down")
        return m_host.label() % u" exited"_s;
    if (!m_lastErrorMessage.isEmpty())
        return u"%1 dropped this client (%2): %3"_s.arg(m_host.label(), m_lastErrorCode,
                                                        m_lastErrorMessage);
    return u"connection to %1 lost: %2"_s.arg(m_host.label(), fallback);
}

bool AttachWorker::handleFrame(const QJsonObject& frame, QString* why) {
    const QString type = frame.value(u"type").toString();
    if (type == u"snapshot") {
        onSnapshot(frame);
    } else if (type == u"change") {
        onChange(frame);
    } else if (type == u"metrics") {
        if (auto sample = m_metrics.add(frame, std::max<qsizetype>(1, m_registries.size()))) {
            if (m_initial)
                m_deferred.emplace_back(std::move(*sample));
            else
                push(std::move(*sample));
        }
    } else if (type == u"audit") {
        // The registries' own records repeat the changes; the endpoint's (registry "") say who
        // attached, who was refused and who was dropped.
        if (frame.value(u"registry").toString().isEmpty()) {
            for (const QJsonValue& line : frame.value(u"lines").toArray()) {
                const QJsonObject record =
                    QJsonDocument::fromJson(line.toString().toUtf8()).object();
                push(TimelineEvent{nowMs(), u"audit"_s, record.value(u"action").toString(),
                                   line.toString().left(300)});
            }
        }
    } else if (type == u"error") {
        m_lastErrorCode = frame.value(u"code").toString();
        m_lastErrorMessage = frame.value(u"message").toString();
        push(TimelineEvent{nowMs(), u"health"_s, m_host.label(),
                           u"host error %1: %2"_s.arg(m_lastErrorCode, m_lastErrorMessage)});
    } else if (type == u"hello") {
        *why = u"%1 sent a second hello; detached"_s.arg(m_host.label());
        return false;
    }
    return true; // pong and types of later versions are ignored
}

void AttachWorker::onSnapshot(const QJsonObject& frame) {
    const QString registry = frame.value(u"registry").toString();
    RegistryState& state = m_registries[registry];
    if (frame.value(u"chunk").toInt() == 0) {
        state.pending.clear();
        state.inSnapshot = true;
        state.resync = frame.value(u"resync").toBool();
        state.reason = frame.value(u"reason").toString();
        if (m_initial)
            m_initialPending.insert(registry); // a registry made while we attach
    }
    const QJsonArray entries = frame.value(u"entries").toArray();
    state.pending.reserve(state.pending.size() + entries.size());
    for (const QJsonValue& v : entries) {
        EntryRecord r = attach::decodeEntry(v.toObject(), registry);
        state.pending.insert(recordId(r));
        if (m_initial)
            m_initialRecords.emplace_back(std::move(r));
        else
            push(UpsertEvent{std::move(r), qint64(frame.value(u"generation").toDouble())});
    }
    if (frame.value(u"last").toBool())
        finishSnapshot(registry, state);
}

void AttachWorker::finishSnapshot(const QString& registry, RegistryState& state) {
    state.inSnapshot = false;
    if (m_initial) {
        m_initialPending.remove(registry);
        if (m_initialPending.isEmpty())
            finishInitial();
        return;
    }
    // A resync, a reload or a new registry: what the store holds and the snapshot lacks goes,
    // one removal each; the upserts above change only what differs.
    for (const QString& id : std::as_const(state.ids)) {
        if (!state.pending.contains(id))
            push(RemoveEvent{RecordKind::Entry, id, 0});
    }
    state.ids.swap(state.pending);
    state.pending.clear();
    QString text =
        u"snapshot of %1 (%2 entries, %3)"_s.arg(registry).arg(state.ids.size()).arg(state.reason);
    if (state.resync)
        text = u"fell behind the host; resynced from a fresh snapshot of %1 (%2 entries)"_s
                   .arg(registry)
                   .arg(state.ids.size());
    push(TimelineEvent{nowMs(), u"resync"_s, registry, text});
}

void AttachWorker::finishInitial() {
    m_initial = false;
    // Registries the host no longer has (a reattach to another process) are dropped; the
    // snapshot below removes their entries from the store.
    for (auto it = m_registries.begin(); it != m_registries.end();) {
        if (it->pending.isEmpty() && !it->inSnapshot) {
            it = m_registries.erase(it);
            continue;
        }
        it->ids.swap(it->pending);
        it->pending.clear();
        ++it;
    }
    const qsizetype total = qsizetype(m_initialRecords.size());
    push(SnapshotEvent{RecordKind::Entry, std::move(m_initialRecords), 0});
    m_initialRecords = {};
    for (SourceEvent& e : m_deferred)
        push(std::move(e));
    m_deferred.clear();
    push(SourceHealth{HealthState::Live,
                      u"attached to %1: %2 registries, %3 entries"_s.arg(m_host.label())
                          .arg(m_host.registries.size())
                          .arg(total)});
    flush(true);
}

void AttachWorker::onChange(const QJsonObject& frame) {
    EventBatch events;
    const attach::ChangeResult result = attach::appendChange(frame, &events);
    const QString registry = frame.value(u"registry").toString();
    RegistryState& state = m_registries[registry];
    if (result.upsertedId)
        state.ids.insert(*result.upsertedId);
    if (result.removedId)
        state.ids.remove(*result.removedId);
    // A registry destroyed keeps its last state: at a normal exit the program destroys its
    // registries just before it goes, and what they held is what the user wants to see. A
    // registry made again under that name comes with a snapshot, merged against these ids.
    if (result.gone)
        m_metrics.forget(registry);
    for (SourceEvent& e : events) {
        if (m_initial)
            m_deferred.push_back(std::move(e));
        else
            push(std::move(e));
    }
}

QString AttachWorker::findReattachTarget() {
    if (!m_options.socketPath.isEmpty() && m_options.pid == 0) {
        // unix:///path: the same path, once something answers there again.
        auto socket = attach::AttachSocket::open(m_options.socketPath, QDeadlineTimer(500),
                                                 m_options.protocol);
        return socket ? m_options.socketPath : QString();
    }
    if (!m_haveHost)
        return {};
    if (attach::processAlive(m_host.pid)) { // it dropped us but runs on: the same socket again
        auto socket =
            attach::AttachSocket::open(m_path, QDeadlineTimer(500), m_options.protocol, m_wakeFd);
        return socket ? m_path : QString();
    }
    const QDir dir(attach::socketDirectory());
    for (const QString& name : dir.entryList({u"*.sock"_s}, QDir::System | QDir::Files)) {
        bool ok = false;
        const qint64 pid = QStringView(name).chopped(5).toLongLong(&ok);
        if (!ok || pid == m_host.pid || !attach::processAlive(pid))
            continue;
        const QString path = dir.filePath(name);
        auto socket = attach::AttachSocket::open(path, QDeadlineTimer(500), m_options.protocol);
        if (!socket)
            continue;
        auto hello = socket->readFrame(QDeadlineTimer(500));
        if (hello && attach::decodeHello(*hello).exe == m_host.exe)
            return path;
        if (m_stopping)
            return {};
    }
    return {};
}

} // namespace regscope
