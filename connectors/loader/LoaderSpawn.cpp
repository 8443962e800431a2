#include "connectors/loader/LoaderSpawn.h"

#include "connectors/loader/LoaderProtocol.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace regscope {

std::expected<SpawnedLoader, QString> spawnLoader(const QByteArray& program) {
    // stdin is a socketpair, not a pipe: writing to a loader that just died must fail with
    // EPIPE (send + MSG_NOSIGNAL), never raise SIGPIPE in the app.
    int in[2], out[2], err[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
        return std::unexpected(u"socketpair: %1"_s.arg(QString::fromLocal8Bit(strerror(errno))));
    ::shutdown(in[0], SHUT_WR);
    ::shutdown(in[1], SHUT_RD);
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        ::close(in[0]);
        ::close(in[1]);
        return std::unexpected(u"pipe failed"_s);
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // The child starts with default signal dispositions and an empty mask, whatever Qt set.
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    const QByteArray cookie =
        QByteArray(loader::kCookieKey.data(), static_cast<qsizetype>(loader::kCookieKey.size())) +
        '=' +
        QByteArray(loader::kCookieValue.data(),
                   static_cast<qsizetype>(loader::kCookieValue.size()));
    // Scrubbed environment: the cookie and a locale, nothing inherited (no LD_PRELOAD).
    char* const argv[] = {const_cast<char*>(program.constData()), nullptr};
    char* const envp[] = {const_cast<char*>(cookie.constData()), const_cast<char*>("LANG=C"),
                          nullptr};
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, program.constData(), &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
        ::close(in[1]);
        ::close(out[0]);
        ::close(err[0]);
        return std::unexpected(u"cannot start %1: %2"_s.arg(QString::fromLocal8Bit(program),
                                                            QString::fromLocal8Bit(strerror(rc))));
    }
    return SpawnedLoader{pid, in[1], out[0], err[0]};
}

} // namespace regscope
