#pragma once
// Runs every plugin of the Plugins panel in its own LoaderClient and keeps PluginModel in
// step: loads files and watched directories, reloads (the new loader replaces the old one
// once it is ready), retries after crashes until a crash loop (3 in a minute) stops it, and
// writes every stage and verdict to the timeline and a log file. GUI thread; never blocks.

#include "LoaderClient.h"
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

class PluginModel;
class PluginLogWriter;

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
    PluginSupervisor(PluginModel* model, SupervisorOptions options, QObject* parent = nullptr);
    ~PluginSupervisor() override;

    void loadFile(const QString& path) override;
    void loadDirectory(const QString& path) override;
    void retry(const QString& path, bool longerDeadline) override;
    void reload(const QString& path) override;
    void unload(const QString& path) override;
    void invoke(const QString& path, const QString& name, const QByteArray& payload) override;

    // Names in the attached registry: each load reports collisions against them. Asked once
    // per load (not on every registry change), so a large registry costs nothing meanwhile.
    void setKnownNamesProvider(std::function<QStringList()> provider) {
        m_knownNames = std::move(provider);
    }
    QStringList watchedDirectories() const { return m_watcher.directories(); }

Q_SIGNALS:
    void timelineEvent(const regscope::TimelineEvent& event);
    void invokeFinished(const QString& path, const regscope::InvokeResult& result);
    void logLine(const QByteArray& line); // to the writer thread

private:
    std::function<QStringList()> m_knownNames;
    struct Slot {
        LoaderClient* active = nullptr;
        LoaderClient* pending = nullptr; // a reload waiting to become ready
        std::deque<qint64> crashes;
        bool stopped = false;   // crash loop: no automatic retries
        bool unloading = false; // an unload was asked for: no retry
        int deadlineFactor = 1;
        qint64 fileSize = -1;
        qint64 fileMtimeMs = -1;
    };
    struct FileStamp {
        QString path;
        qint64 size = 0;
        qint64 mtimeMs = 0;
    };
    void startLoader(const QString& path, bool asReload);
    void onReady(LoaderClient* client, const QString& path, const PluginVerdict& verdict);
    void onFinished(LoaderClient* client, const QString& path, const PluginVerdict& verdict);
    void scanDirectories();
    void onScanned(const QString& dir, const std::vector<FileStamp>& files);
    void record(const QString& path, const QString& event, const QString& text);
    qint64 now() const;

    PluginModel* m_model;
    SupervisorOptions m_options;
    QHash<QString, Slot> m_slots;
    QFileSystemWatcher m_watcher;
    QTimer m_rescan;
    QThread m_logThread;
    PluginLogWriter* m_logWriter = nullptr;
};

} // namespace regscope
