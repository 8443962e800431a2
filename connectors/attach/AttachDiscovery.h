#pragma once
// The processes one can attach to: every <pid>.sock in the socket directory that answers the
// handshake with a hello (docs/attach-protocol.md §2). Blocking, with a deadline per socket:
// call it off the GUI thread (--list-attachable, the Attach dialog's worker).

#include <QJsonObject>
#include <QList>

#include <cstdio>

namespace regscope::attach {

struct ListOptions {
    QString directory; // empty: socketDirectory()
    int perSocketTimeoutMs = 500;
    bool unlinkStale = true; // remove sockets whose process is gone (ECONNREFUSED, no pid)
};

// One object per process (HostInfo::toJson: pid, exe, name, registries, entries, uptime_s,
// socket, url), by pid.
QList<QJsonObject> listAttachable(const ListOptions& options = {});
// --list-attachable: one compact JSON object per line on `out`; returns 0 (the exit code),
// or 4 when writing failed.
int printAttachable(std::FILE* out, const ListOptions& options = {});

} // namespace regscope::attach
