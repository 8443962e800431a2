#pragma once
// Attaches to the registries of another process through its debug endpoint (the library's
// REGSCOPE_DEBUG=1 socket, docs/attach-protocol.md). Sources `pid://PID` and
// `unix:///path/to.sock`, with `?reattach=1` to follow the program across restarts: when the
// target exits the source goes Down ("process 1234 (myapp) exited"), the last known state
// stays, and the next process with the same executable is attached.
//
// Everything runs on the connector's own thread: a socket client whose every wait has a
// deadline, frames decoded into batches (~10 ms), metrics of every registry merged into one
// sample a second. stop() wakes the thread and joins it with a deadline.

#include "connectors/Connector.h"

#include <QThread>

#include <expected>
#include <memory>

namespace regscope {

class AttachWorker;

class AttachConnector : public Connector {
    Q_OBJECT
public:
    struct Options {
        QString url;           // as typed
        qint64 pid = 0;        // pid://PID (the socket is found by the library's path rule)
        QString socketPath;    // unix:///path (or the pid's socket, resolved at start)
        bool reattach = false; // attach to the next process with the same executable
        int protocol = 1;      // the attach protocol version announced (tests change it)
        int batchIntervalMs = 10;
        int connectTimeoutMs = 3000;
        int reattachPollMs = 250;
        int stopTimeoutMs = kConnectorStopDeadlineMs;
    };

    // pid://PID[?reattach=1] or unix:///path[?reattach=1]; an error sentence otherwise.
    static std::expected<Options, QString> parseUrl(const QString& url);
    static bool accepts(const QString& url);

    explicit AttachConnector(Options options, QObject* parent = nullptr);
    ~AttachConnector() override;

    void start() override;
    void stop() override;
    QString url() const override { return m_options.url; }
    const Options& options() const { return m_options; }

private:
    Options m_options;
    std::shared_ptr<AttachWorker> m_worker;
    QThread* m_thread = nullptr;
};

} // namespace regscope
