#pragma once
// Real loopback listeners for the probe tests and bench_probe, on a thread of their own (so
// the thread under test, or the GUI thread being measured, serves nothing): an HTTP server
// answering a fixed status, a listener that accepts and never answers, and a closed port.

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>

class QThread;

namespace regscope::testing {

class ListenerHost {
public:
    enum class Kind { Http200, Http503, Silent };
    ListenerHost();
    ~ListenerHost();
    ListenerHost(const ListenerHost&) = delete;
    ListenerHost& operator=(const ListenerHost&) = delete;

    // A new listener on 127.0.0.1, its port (0 on failure).
    quint16 listen(Kind kind);
    // A port nothing listens on: bound once, then closed.
    static quint16 closedPort();
    // The request paths the HTTP listeners were asked for, in order.
    QList<QByteArray> paths() const;
    int accepted() const; // connections accepted, every listener

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace regscope::testing
