#pragma once
// Starts regscope-loader: posix_spawn with a scrubbed environment (the cookie and a locale),
// default signal dispositions, stdin a socketpair (a write to a dead loader is EPIPE, never
// SIGPIPE), stdout and stderr pipes. The caller owns the descriptors and reaps the process.

#include <QByteArray>
#include <QString>

#include <expected>
#include <sys/types.h>

namespace regscope {

struct SpawnedLoader {
    pid_t pid = -1;
    int in = -1, out = -1, err = -1; // the app's ends
};

std::expected<SpawnedLoader, QString> spawnLoader(const QByteArray& program);

} // namespace regscope
