#pragma once
// Owns a POSIX file descriptor: closed on destruction, never copied. std + POSIX only, so any
// room may use it (connectors, app programs, the Qt-free libraries).

#include <unistd.h>

namespace regscope {

class UniqueFd {
public:
    explicit UniqueFd(int fd = -1)
        : m_fd(fd) {}
    ~UniqueFd() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const { return m_fd; }

private:
    int m_fd;
};

} // namespace regscope
