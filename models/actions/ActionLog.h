#pragma once
// The action log: one JSON line per action — who, when, source, request, result — appended
// to <AppDataLocation>/actions.jsonl. Lines are written on the log's own thread (never the
// GUI thread), in order. Bounded: past maxBytes the file moves to actions.jsonl.1 (one old
// generation kept) and a new one starts.

#include "models/actions/ActionTypes.h"

#include <QString>
#include <QThreadPool>

#include <memory>

namespace regscope {

class ActionLog {
public:
    struct Options {
        QString path; // empty: <AppDataLocation>/actions.jsonl
        qint64 maxBytes = 8 * 1024 * 1024;
    };
    ActionLog();
    explicit ActionLog(Options options);
    ~ActionLog(); // writes what is queued
    ActionLog(const ActionLog&) = delete;
    ActionLog& operator=(const ActionLog&) = delete;

    static QString defaultPath();
    QString path() const { return m_options.path; }

    // The line as it will be written (no trailing newline).
    static QByteArray line(ActionId id, const ActionRequest& request, const ActionResult& result,
                           qint64 whenMs, const QString& who);
    // The user this process runs as.
    static QString currentUser();

    // Queues the line; returns at once.
    void append(ActionId id, const ActionRequest& request, const ActionResult& result);
    // Waits (up to timeoutMs) until every queued line is on disk. Tests and shutdown.
    bool waitForWritten(int timeoutMs = 5000);
    // The last write error, empty if none (the file could not be opened, disk full).
    QString lastError() const;

private:
    void write(const QByteArray& line);

    Options m_options;
    QThreadPool m_writer; // one thread: lines stay in order
    struct ErrorBox;
    std::unique_ptr<ErrorBox> m_error;
};

} // namespace regscope
