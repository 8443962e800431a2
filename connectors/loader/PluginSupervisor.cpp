#include "connectors/loader/PluginSupervisor.h"

#include "connectors/loader/PluginLogWriter.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;

namespace regscope {
namespace {

QStringList listFrom(const QJsonValue& value) {
    QStringList out;
    for (const auto& v : value.toArray())
        out << v.toString();
    return out;
}

// "+a, −b": what `after` has that `before` lacks and the other way round; empty: no change.
QString setDiff(const QStringList& before, const QStringList& after, const QStringList& used,
                int limit = 8) {
    const QSet<QString> b(before.begin(), before.end()), a(after.begin(), after.end());
    QStringList parts;
    for (const QString& x : after)
        if (!b.contains(x) && parts.size() < limit)
            parts << u"+%1"_s.arg(x);
    for (const QString& x : before)
        if (!a.contains(x) && parts.size() < 2 * limit)
            parts << (used.contains(x) ? u"−%1 (still used by the attached registry!)"_s.arg(x)
                                       : u"−%1"_s.arg(x));
    return parts.join(u", "_s);
}

} // namespace

// What a reload changes between the running build and the new one, in one line.
QString reloadDiff(const PluginVerdict& before, const PluginVerdict& after,
                   const QStringList& registryNames) {
    QStringList regsBefore, regsAfter;
    for (const auto& r : before.registrations)
        regsBefore << r.name;
    for (const auto& r : after.registrations)
        regsAfter << r.name;
    QStringList parts;
    const auto add = [&](const QString& what, const QString& change) {
        if (!change.isEmpty())
            parts << u"%1 %2"_s.arg(what, change);
    };
    add(u"exports"_s, setDiff(listFrom(before.facts.value("exports"_L1)),
                              listFrom(after.facts.value("exports"_L1)), registryNames));
    add(u"NEEDED"_s, setDiff(listFrom(before.facts.value("needed"_L1)),
                             listFrom(after.facts.value("needed"_L1)), {}));
    add(u"registrations"_s, setDiff(regsBefore, regsAfter, registryNames));
    if (before.pluginVersion != after.pluginVersion)
        parts << u"version %1 → %2"_s.arg(
            before.pluginVersion.isEmpty() ? u"none"_s : before.pluginVersion,
            after.pluginVersion.isEmpty() ? u"none"_s : after.pluginVersion);
    return parts.isEmpty() ? QString() : u"reloaded: "_s + parts.join(u"; "_s);
}

PluginSupervisor::PluginSupervisor(SupervisorOptions options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options)) {
    qRegisterMetaType<regscope::EventBatchPtr>();
    m_rescan.setSingleShot(true);
    m_rescan.setInterval(150); // let a copy or a linker finish writing
    connect(&m_rescan, &QTimer::timeout, this, &PluginSupervisor::scanDirectories);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, [this] { m_rescan.start(); });
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, [this] { m_rescan.start(); });
    if (!m_options.logFilePath.isEmpty()) {
        m_logWriter = new PluginLogWriter(m_options.logFilePath, m_options.logFileMaxBytes);
        m_logWriter->moveToThread(&m_logThread);
        connect(&m_logThread, &QThread::finished, m_logWriter, &QObject::deleteLater);
        connect(this, &PluginSupervisor::logLine, m_logWriter, &PluginLogWriter::append);
        m_logThread.start();
    }
}

PluginSupervisor::~PluginSupervisor() {
    // LoaderClient's destructor kills and reaps its loader.
    for (auto& slot : m_slots) {
        delete slot.active;
        delete slot.pending;
        delete slot.candidate;
    }
    m_logThread.quit();
    m_logThread.wait(5000); // bounded: the writer only appends short lines
}

qint64 PluginSupervisor::now() const {
    return m_options.nowMs ? m_options.nowMs() : QDateTime::currentMSecsSinceEpoch();
}

void PluginSupervisor::publish(const QString& path) {
    Slot& slot = m_slots[path];
    slot.row.path = path;
    slot.row.deterministic = slot.deterministic;
    auto batch = std::make_shared<EventBatch>();
    batch->emplace_back(slot.row);
    Q_EMIT eventsReady(std::move(batch));
}

void PluginSupervisor::setVerdict(const QString& path, const PluginVerdict& verdict) {
    Slot& slot = m_slots[path];
    slot.row.verdict = std::make_shared<const PluginVerdict>(verdict);
    slot.row.state = verdict.state;
    slot.row.stage = verdict.stage;
}

void PluginSupervisor::record(const QString& path, const QString& event, const QString& text) {
    const qint64 ts = now();
    auto batch = std::make_shared<EventBatch>();
    batch->emplace_back(
        TimelineEvent{ts, u"plugin"_s, QFileInfo(path).fileName(), u"%1: %2"_s.arg(event, text)});
    Q_EMIT eventsReady(std::move(batch));
    if (m_logWriter) {
        const QJsonObject line{
            {u"ts"_s, ts}, {u"path"_s, path}, {u"event"_s, event}, {u"text"_s, text}};
        Q_EMIT logLine(QJsonDocument(line).toJson(QJsonDocument::Compact));
    }
}

void PluginSupervisor::loadFile(const QString& path) {
    const QString abs = QFileInfo(path).absoluteFilePath();
    Slot& slot = m_slots[abs];
    slot.unloading = false;
    if (slot.active && slot.active->running())
        return reload(abs);
    startLoader(abs, false);
}

void PluginSupervisor::loadDirectory(const QString& path) {
    const QString abs = QFileInfo(path).absoluteFilePath();
    if (!m_watcher.directories().contains(abs))
        m_watcher.addPath(abs);
    scanDirectories();
}

void PluginSupervisor::retry(const QString& path, bool longerDeadline) {
    Slot& slot = m_slots[path];
    slot.crashes.clear();
    slot.stopped = false;
    slot.unloading = false;
    slot.deadlineFactor = longerDeadline ? m_options.longerDeadlineFactor : 1;
    slot.deterministic = false;
    slot.lastCrash.clear();
    slot.row.crashes = 0;
    slot.row.crashLoop = false;
    publish(path);
    record(path, u"retry"_s,
           longerDeadline ? u"manual retry with a %1× deadline"_s.arg(slot.deadlineFactor)
                          : u"manual retry"_s);
    const bool live =
        slot.active && slot.active->running() && slot.active->verdict().state == PluginState::Ready;
    startLoader(path, live);
}

void PluginSupervisor::reload(const QString& path) {
    Slot& slot = m_slots[path];
    slot.unloading = false;
    const bool live =
        slot.active && slot.active->running() && slot.active->verdict().state == PluginState::Ready;
    record(path, u"reload"_s,
           live ? u"new loader started; it replaces the old one once ready"_s : u"loading again"_s);
    startLoader(path, live);
}

void PluginSupervisor::unload(const QString& path) {
    auto it = m_slots.find(path);
    if (it == m_slots.end())
        return;
    it->unloading = true;
    if (it->pending)
        it->pending->kill();
    dropCandidate(*it);
    if (it->active && it->active->running())
        it->active->unload();
    record(path, u"unload"_s, u"unload requested"_s);
}

void PluginSupervisor::invoke(const QString& path, const QString& name, const QByteArray& payload) {
    auto it = m_slots.find(path);
    if (it == m_slots.end() || !it->active) {
        InvokeResult result;
        result.name = name;
        result.errorCode = u"not_loaded"_s;
        result.message = u"the plugin is not loaded"_s;
        if (it != m_slots.end()) {
            it->row.lastInvoke = std::make_shared<const InvokeResult>(result);
            publish(path);
        }
        Q_EMIT invokeFinished(path, result);
        return;
    }
    record(path, u"invoke"_s, u"%1 (%2 bytes)"_s.arg(name).arg(payload.size()));
    recordPayload(*it, name, payload);
    it->active->invoke(name, payload);
}

void PluginSupervisor::startLoader(const QString& path, bool asReload) {
    Slot& slot = m_slots[path];
    LoaderOptions options = m_options.loader;
    if (m_knownNames)
        options.knownNames = m_knownNames();
    options.stageTimeoutMs *= slot.deadlineFactor;
    options.invokeTimeoutMs *= slot.deadlineFactor;
    options.handshakeTimeoutMs *= slot.deadlineFactor;
    auto* client = new LoaderClient(options, this);
    if (asReload) {
        if (slot.pending)
            slot.pending->deleteLater(); // its destructor kills it
        slot.pending = client;
    } else {
        if (slot.active)
            slot.active->deleteLater();
        slot.active = client;
        slot.row.state = PluginState::Verifying;
        slot.row.stage = loader::Stage::Spawn;
        publish(path);
    }
    connect(client, &LoaderClient::stageStarted, this, [this, client, path](loader::Stage stage) {
        Slot& s = m_slots[path];
        if (client != s.active || s.pending)
            return;
        s.row.state =
            stage == loader::Stage::Verify ? PluginState::Verifying : PluginState::Loading;
        s.row.stage = stage;
        publish(path);
    });
    connect(client, &LoaderClient::stageFinished, this,
            [this, path](loader::Stage stage, bool ok, double ms) {
                record(path, u"stage"_s,
                       u"%1 %2 in %3 ms"_s.arg(fromCodes(loader::codeName(stage)),
                                               ok ? u"ok"_s : u"failed"_s,
                                               QString::number(ms, 'f', 2)));
            });
    connect(client, &LoaderClient::ready, this,
            [this, client, path](const PluginVerdict& v) { onReady(client, path, v); });
    connect(client, &LoaderClient::finished, this,
            [this, client, path](const PluginVerdict& v) { onFinished(client, path, v); });
    connect(client, &LoaderClient::invokeFinished, this,
            [this, client, path](const InvokeResult& result) {
                Slot& s = m_slots[path];
                if (client == s.candidate ||
                    (client == s.active && s.shadowBefore.contains(result.id))) {
                    onShadowAnswer(path, result, client == s.candidate);
                    return;
                }
                if (client != s.active)
                    return;
                s.row.lastInvoke = std::make_shared<const InvokeResult>(result);
                s.row.calls.add(result.roundTripMs, result.ok);
                publish(path);
                Q_EMIT invokeFinished(path, result);
            });
    client->start(path);
}

void PluginSupervisor::onReady(LoaderClient* client, const QString& path,
                               const PluginVerdict& verdict) {
    Slot& slot = m_slots[path];
    if (client == slot.pending) {
        // The new build waits beside the running one until the user accepts it.
        slot.pending = nullptr;
        offerCandidate(slot, client, path, verdict);
        return;
    }
    if (client != slot.active)
        return;
    setVerdict(path, verdict);
    slot.row.note.clear();
    publish(path);
    record(path, u"ready"_s, verdict.headline());
}

void PluginSupervisor::onFinished(LoaderClient* client, const QString& path,
                                  const PluginVerdict& verdict) {
    Slot& slot = m_slots[path];
    if (client == slot.pending) {
        // A failed reload leaves the running loader in place.
        slot.pending = nullptr;
        client->deleteLater();
        slot.row.note = u"reload failed: %1"_s.arg(verdict.headline());
        publish(path);
        record(path, u"reload failed"_s, verdict.headline());
        return;
    }
    if (client == slot.candidate) {
        onCandidateFinished(slot, path, verdict);
        return;
    }
    if (client != slot.active) {
        client->deleteLater(); // a replaced loader going away
        return;
    }
    setVerdict(path, verdict);
    record(path, toString(verdict.state).toLower(), verdict.headline());
    const bool crashed =
        verdict.state == PluginState::Crashed || verdict.state == PluginState::TimedOut;
    if (!crashed || slot.unloading) {
        publish(path);
        return;
    }
    const qint64 t = now();
    slot.crashes.push_back(t);
    while (!slot.crashes.empty() && t - slot.crashes.front() > m_options.crashLoopWindowMs)
        slot.crashes.pop_front();
    const int count = static_cast<int>(slot.crashes.size());
    if (noteCrash(slot, verdict) && !slot.stopped) {
        slot.stopped = true;
        record(path, u"deterministic crash"_s,
               u"the same crash twice (%1): not retried automatically"_s.arg(slot.lastCrash));
    } else if (count >= m_options.crashLoopCrashes && !slot.stopped) {
        slot.stopped = true;
        record(path, u"crash loop"_s,
               u"%1 crashes within %2 s: automatic retries stopped"_s.arg(count).arg(
                   m_options.crashLoopWindowMs / 1000));
    }
    slot.row.crashes = count;
    slot.row.crashLoop = slot.stopped && !slot.deterministic;
    if (m_options.autoRetry && !slot.stopped)
        ++slot.row.calls.restarts;
    publish(path);
    if (!m_options.autoRetry || slot.stopped)
        return;
    QTimer::singleShot(m_options.retryDelayMs * count, this, [this, path] {
        const Slot& s = m_slots[path];
        if (!s.stopped && !s.unloading && !(s.active && s.active->running()))
            startLoader(path, false);
    });
}

bool PluginSupervisor::noteCrash(Slot& slot, const PluginVerdict& verdict) {
    // A hang has no address: only crashes with a signal and a known place repeat exactly.
    QString key;
    if (verdict.state == PluginState::Crashed && verdict.signal != 0) {
        const CrashFrame* culprit = verdict.culpritFrame();
        key = u"%1 in stage %2 at %3"_s.arg(
            signalName(verdict.signal), verdict.stageName(),
            culprit ? u"%1+0x%2"_s.arg(QFileInfo(culprit->module).fileName())
                          .arg(culprit->offset, 0, 16)
                    : u"address 0x%1"_s.arg(verdict.faultAddress, 0, 16));
    }
    const bool repeat = !key.isEmpty() && key == slot.lastCrash;
    slot.lastCrash = key;
    slot.deterministic = slot.deterministic || repeat;
    return repeat;
}

void PluginSupervisor::scanDirectories() {
    for (const QString& dir : m_watcher.directories()) {
        // Listing a directory is I/O: off the GUI thread, the answer comes back queued.
        auto* watcher = new QFutureWatcher<std::vector<FileStamp>>(this);
        connect(watcher, &QFutureWatcher<std::vector<FileStamp>>::finished, this,
                [this, watcher, dir] {
                    onScanned(dir, watcher->result());
                    watcher->deleteLater();
                });
        watcher->setFuture(QtConcurrent::run([dir] {
            std::vector<FileStamp> files;
            const auto entries = QDir(dir).entryInfoList({u"*.so"_s}, QDir::Files, QDir::Name);
            for (const QFileInfo& info : entries)
                files.push_back({info.absoluteFilePath(), info.size(),
                                 info.lastModified().toMSecsSinceEpoch()});
            return files;
        }));
    }
}

void PluginSupervisor::onScanned(const QString& dir, const std::vector<FileStamp>& files) {
    for (const FileStamp& f : files) {
        const bool known = m_slots.contains(f.path);
        Slot& slot = m_slots[f.path];
        const bool changed = known && (slot.fileSize != f.size || slot.fileMtimeMs != f.mtimeMs);
        slot.fileSize = f.size;
        slot.fileMtimeMs = f.mtimeMs;
        if (!m_watcher.files().contains(f.path))
            m_watcher.addPath(f.path);
        if (!known || !slot.active) {
            record(f.path, u"discovered"_s, u"new plugin in %1"_s.arg(dir));
            startLoader(f.path, false);
        } else if (changed && m_options.autoRetry && !slot.stopped && !slot.unloading) {
            record(f.path, u"changed"_s, u"file changed on disk: reloading"_s);
            reload(f.path);
        }
    }
}

} // namespace regscope
