#pragma once
// Runs every plugin of the Plugins panel in its own LoaderClient: loads files and watched
// directories, reloads (the new loader replaces the old one once it is ready), retries after
// crashes until a crash loop (3 in a minute) or a deterministic crash (the same signal at the
// same stage and address twice) stops it, and writes every stage and verdict to the timeline
// and a log file. It tells the app through typed events only (eventsReady → Store::apply, as a
// Connector does): a PluginEvent per change, TimelineEvents. GUI thread; never blocks.

#include "connectors/loader/LoaderClient.h"
#include "models/SourceEvent.h"
#include "models/plugins/PluginActions.h"

#include <QFileSystemWatcher>
#include <QHash>
#include <QObject>
#include <QThread>
#include <QTimer>

#include <deque>
#include <functional>

namespace regscope {

class PluginLogWriter;

// What a reload changes: exports and NEEDED added/removed, registrations added/removed (a
// removed one the attached registry still uses is flagged), the version. Empty: nothing.
QString reloadDiff(const PluginVerdict& before, const PluginVerdict& after,
                   const QStringList& registryNames);

struct SupervisorOptions {
    LoaderOptions loader;
    bool autoRetry = true;  // after a crash or time-out, and when a watched file changes
    int retryDelayMs = 250; // × the number of crashes in the window
    int crashLoopCrashes = 3;
    int crashLoopWindowMs = 60'000;
    int longerDeadlineFactor = 4;
    QString logFilePath;              // JSON lines; empty: no log file
    qint64 logFileMaxBytes = 4 << 20; // then it is rotated to <path>.1
    std::function<qint64()> nowMs;    // injectable clock; default: wall clock
};

class PluginSupervisor : public QObject, public PluginActions {
    Q_OBJECT
public:
    explicit PluginSupervisor(SupervisorOptions options, QObject* parent = nullptr);
    ~PluginSupervisor() override;

    void loadFile(const QString& path) override;
    void loadDirectory(const QString& path) override;
    void retry(const QString& path, bool longerDeadline) override;
    void reload(const QString& path) override;
    void acceptReload(const QString& path) override;
    void discardReload(const QString& path) override;
    void shadowInvoke(const QString& path, const QString& name, const QByteArray& payload) override;
    void shadowReplay(const QString& path) override;
    void unload(const QString& path) override;
    void invoke(const QString& path, const QString& name, const QByteArray& payload) override;
    void setPluginCookie(const QString& key, const QString& value) override {
        m_options.loader.pluginCookieKey = key;
        m_options.loader.pluginCookieValue = value;
    }

    // Names in the attached registry: each load reports collisions against them. Asked once
    // per load (not on every registry change), so a large registry costs nothing meanwhile.
    void setKnownNamesProvider(std::function<QStringList()> provider) {
        m_knownNames = std::move(provider);
    }
    QStringList watchedDirectories() const { return m_watcher.directories(); }

Q_SIGNALS:
    // PluginEvents and TimelineEvents, for Store::apply.
    void eventsReady(regscope::EventBatchPtr batch);
    void invokeFinished(const QString& path, const regscope::InvokeResult& result);
    void logLine(const QByteArray& line); // to the writer thread

private:
    std::function<QStringList()> m_knownNames;
    struct Slot {
        LoaderClient* active = nullptr;
        LoaderClient* pending = nullptr;   // a reload loading beside the running build
        LoaderClient* candidate = nullptr; // a reload ready, waiting for accept or discard
        // Shadow answers in flight: invoke id (per client) -> sequence number of the result.
        QHash<qint64, qint64> shadowBefore, shadowAfter;
        qint64 shadowFirstSeq = 0; // sequence number of row.candidate->shadow.front()
        // Recent invokes (name, payload), for a shadow replay; bounded in count and bytes.
        std::deque<std::pair<QString, QByteArray>> recorded;
        qint64 recordedBytes = 0;
        std::deque<qint64> crashes;
        bool stopped = false;   // crash loop: no automatic retries
        bool unloading = false; // an unload was asked for: no retry
        int deadlineFactor = 1;
        qint64 fileSize = -1;
        qint64 fileMtimeMs = -1;
        QString lastCrash; // signal/stage/address of the last crash, to spot a repeat
        bool deterministic = false;
        PluginEvent row; // what the panel shows for this path
    };
    struct FileStamp {
        QString path;
        qint64 size = 0;
        qint64 mtimeMs = 0;
    };
    void startLoader(const QString& path, bool asReload);
    void onReady(LoaderClient* client, const QString& path, const PluginVerdict& verdict);
    void onFinished(LoaderClient* client, const QString& path, const PluginVerdict& verdict);
    // PluginReview.cpp: the reload's review (candidate, shadow).
    void offerCandidate(Slot& slot, LoaderClient* client, const QString& path,
                        const PluginVerdict& verdict);
    void onShadowAnswer(const QString& path, const InvokeResult& result, bool fromCandidate);
    void onCandidateFinished(Slot& slot, const QString& path, const PluginVerdict& verdict);
    void dropCandidate(Slot& slot);
    void recordPayload(Slot& slot, const QString& name, const QByteArray& payload);
    // A copy of the candidate to change (rows hold the published one, never changed).
    ReloadCandidate& editCandidate(Slot& slot);
    void scanDirectories();
    void onScanned(const QString& dir, const std::vector<FileStamp>& files);
    void record(const QString& path, const QString& event, const QString& text);
    void publish(const QString& path);
    void setVerdict(const QString& path, const PluginVerdict& verdict);
    // True when the crash repeats the previous one exactly (then it is not retried).
    bool noteCrash(Slot& slot, const PluginVerdict& verdict);
    qint64 now() const;

    SupervisorOptions m_options;
    QHash<QString, Slot> m_slots;
    QFileSystemWatcher m_watcher;
    QTimer m_rescan;
    QThread m_logThread;
    PluginLogWriter* m_logWriter = nullptr;
};

} // namespace regscope
