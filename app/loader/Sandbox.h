#pragma once
// The loader's cage: resource limits, a seccomp filter (no network, no fork/exec) and a
// fatal-signal reporter. Applied before the plugin's first byte of code runs.

#include <cstdint>
#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace regscope::loader {

struct Limits {
    std::uint64_t addressSpaceBytes = 512ull << 20;
    std::uint32_t cpuSeconds = 10;
    std::uint32_t openFiles = 64;
};

// Installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP and SIGXCPU on an
// alternate stack: they write a REGSCOPE-FATAL line and a backtrace to stderr, then re-raise
// with the default action so the parent's waitid() sees the real signal.
void installFatalHandlers();
// The stage named in a fatal report; `stage` must have static storage.
void setCurrentStage(const char* stage);

std::expected<void, std::string> applyLimits(const Limits& limits);

// seccomp-BPF (needs only PR_SET_NO_NEW_PRIVS, no privilege): socket() for anything but
// AF_UNIX, fork/vfork/clone-without-CLONE_THREAD and execve fail with EACCES/EPERM and are
// counted; clone3 answers ENOSYS so glibc falls back to the inspectable clone().
// forExecutable: the filter for a go-plugin binary about to be exec'd: execve passes and
// refusals are EPERM (its runtime has no SIGSYS handler of ours).
std::expected<void, std::string> installSeccomp(bool forExecutable = false);

// Attempts the filter blocked so far: {"socket", 1}, {"fork", 2}...
std::vector<std::pair<std::string, int>> blockedAttempts();

} // namespace regscope::loader
