#pragma once
// One probe over a Qt socket on the calling thread's event loop: a TCP connect, or an
// HTTP/1.1 GET of the health path (https: the same after a TLS handshake through
// QSslSocket). Non-blocking; the verdict comes through `done`, once, on this thread.

#include "connectors/probe/ProbeAddress.h"
#include "models/SourceEvent.h"

#include <QObject>

#include <functional>

namespace regscope {

using ProbeDone = std::function<void(ProbeState state, const QString& detail)>;

// The probe deletes itself after `done`; destroying `parent` first cancels it silently.
void startSocketProbe(QObject* parent, const ProbeAddress& address, const QString& httpPath,
                      int timeoutMs, ProbeDone done);

// The verdict of an HTTP status line ("HTTP/1.1 503 Service Unavailable"): below 500 up.
ProbeState httpVerdict(const QByteArray& statusLine, QString* detail);

} // namespace regscope
