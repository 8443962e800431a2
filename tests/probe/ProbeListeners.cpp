#include "tests/probe/ProbeListeners.h"

#include <QMutex>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <atomic>
#include <vector>

namespace regscope::testing {

struct ListenerHost::Impl {
    QThread thread;
    QObject* home = nullptr; // lives on the thread; listeners are its children
    mutable QMutex mutex;
    QList<QByteArray> paths;
    std::atomic<int> accepted{0};

    void serve(QTcpServer* server, Kind kind) {
        QObject::connect(server, &QTcpServer::newConnection, server, [this, server, kind] {
            while (QTcpSocket* s = server->nextPendingConnection()) {
                ++accepted;
                if (kind == Kind::Silent)
                    continue; // held open, never a byte back
                QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
                QObject::connect(s, &QIODevice::readyRead, s, [this, s, kind] {
                    const QByteArray head = s->peek(8192);
                    if (!head.contains("\r\n\r\n"))
                        return;
                    s->readAll();
                    {
                        QMutexLocker lock(&mutex);
                        paths.append(head.split(' ').value(1));
                    }
                    s->write(
                        kind == Kind::Http200
                            ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                            : "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n");
                    s->disconnectFromHost();
                });
            }
        });
    }
};

ListenerHost::ListenerHost()
    : d(std::make_unique<Impl>()) {
    d->home = new QObject;
    d->home->moveToThread(&d->thread);
    d->thread.start();
}

ListenerHost::~ListenerHost() {
    QMetaObject::invokeMethod(
        d->home, [h = d->home] { delete h; }, Qt::BlockingQueuedConnection);
    d->thread.quit();
    d->thread.wait();
}

quint16 ListenerHost::listen(Kind kind) {
    quint16 port = 0;
    QMetaObject::invokeMethod(
        d->home,
        [this, kind, &port] {
            auto* server = new QTcpServer(d->home);
            server->setMaxPendingConnections(1024);
            if (!server->listen(QHostAddress::LocalHost, 0)) {
                delete server;
                return;
            }
            d->serve(server, kind);
            port = server->serverPort();
        },
        Qt::BlockingQueuedConnection);
    return port;
}

quint16 ListenerHost::closedPort() {
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = server.serverPort();
    server.close();
    return port;
}

QList<QByteArray> ListenerHost::paths() const {
    QMutexLocker lock(&d->mutex);
    return d->paths;
}

int ListenerHost::accepted() const {
    return d->accepted.load();
}

} // namespace regscope::testing
