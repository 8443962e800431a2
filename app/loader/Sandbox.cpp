#include "app/loader/Sandbox.h"

#include "connectors/loader/LoaderProtocol.h"

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <dlfcn.h>
#include <execinfo.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

namespace regscope::loader {
namespace {

volatile const char* g_stage = "startup";

// Counters the SIGSYS handler bumps (async-signal-safe: plain ints, one thread).
enum Blocked { kSocket, kFork, kExec, kBlockedCount };
constexpr const char* kBlockedNames[kBlockedCount] = {"socket", "fork", "exec"};
volatile sig_atomic_t g_blocked[kBlockedCount] = {};

void writeStr(const char* text) {
    (void)!::write(STDERR_FILENO, text, std::strlen(text));
}

void writeNumber(unsigned long value, int base) {
    char buf[32];
    int pos = sizeof buf;
    do {
        const unsigned digit = static_cast<unsigned>(value % static_cast<unsigned>(base));
        buf[--pos] = static_cast<char>(digit < 10 ? '0' + digit : 'a' + digit - 10);
        value /= static_cast<unsigned>(base);
    } while (value && pos > 0);
    (void)!::write(STDERR_FILENO, buf + pos, sizeof buf - static_cast<size_t>(pos));
}

void onFatal(int sig, siginfo_t* info, void* context) {
    writeStr("\n");
    writeStr(kFatalMarker.data());
    writeStr(" signal=");
    writeNumber(static_cast<unsigned long>(sig), 10);
    writeStr(" addr=0x");
    writeNumber(reinterpret_cast<unsigned long>(info ? info->si_addr : nullptr), 16);
    writeStr(" code=");
    writeNumber(static_cast<unsigned long>(info ? info->si_code : 0), 10);
    writeStr(" stage=");
    writeStr(const_cast<const char*>(g_stage));
#if defined(__x86_64__)
    // The interrupted instruction: the app marks the frame at this address as exact.
    if (context) {
        writeStr(" pc=0x");
        writeNumber(static_cast<unsigned long>(
                        static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RIP]),
                    16);
    }
#else
    (void)context;
#endif
    writeStr("\n");
    // One line per frame, "module(+0xOFFSET)[0xADDRESS]": the offset from the module's load
    // base, which the app symbolises offline (dladdr, as backtrace_symbols_fd uses).
    void* frames[48];
    const int depth = ::backtrace(frames, 48);
    for (int i = 0; i < depth; ++i) {
        Dl_info dl{};
        const auto address = reinterpret_cast<unsigned long>(frames[i]);
        if (::dladdr(frames[i], &dl) && dl.dli_fname) {
            writeStr(dl.dli_fname);
            writeStr("(+0x");
            writeNumber(address - reinterpret_cast<unsigned long>(dl.dli_fbase), 16);
            writeStr(")");
        } else {
            writeStr("?");
        }
        writeStr("[0x");
        writeNumber(address, 16);
        writeStr("]\n");
    }
    // Default action, re-raised: it is delivered when this handler returns (the signal is
    // blocked while we run), so the parent sees the genuine signal and core flag.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void onSigsys(int, siginfo_t* info, void* context) {
    int which = kExec;
    long error = EPERM;
    if (info->si_syscall == SYS_socket) {
        which = kSocket;
        error = EACCES;
    } else if (info->si_syscall == SYS_clone || info->si_syscall == SYS_fork ||
               info->si_syscall == SYS_vfork) {
        which = kFork;
    }
    g_blocked[which] = g_blocked[which] + 1;
    writeStr("regscope-loader: blocked ");
    writeStr(kBlockedNames[which]);
    writeStr(" attempt (sandbox)\n");
#if defined(__x86_64__)
    // Make the trapped syscall return -error instead of killing the plugin: it sees a
    // normal failure and goes on, and the report still lists the attempt.
    auto* uc = static_cast<ucontext_t*>(context);
    uc->uc_mcontext.gregs[REG_RAX] = -error;
#else
    (void)context;
    (void)error;
#endif
}

} // namespace

void setCurrentStage(const char* stage) {
    g_stage = stage;
}

void installFatalHandlers() {
    // backtrace() loads libgcc lazily (malloc + dlopen): do it now, not inside a handler.
    void* warm[2];
    (void)::backtrace(warm, 2);

    static char altStack[64 * 1024];
    stack_t ss{};
    ss.ss_sp = altStack;
    ss.ss_size = sizeof altStack;
    ::sigaltstack(&ss, nullptr);

    struct sigaction sa {};
    sa.sa_sigaction = onFatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGXCPU})
        ::sigaction(sig, &sa, nullptr);

    struct sigaction sys {};
    sys.sa_sigaction = onSigsys;
    sys.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sys.sa_mask);
    ::sigaction(SIGSYS, &sys, nullptr);
}

std::expected<void, std::string> applyLimits(const Limits& limits) {
    auto set = [](int resource, rlim_t soft, rlim_t hard,
                  const char* name) -> std::expected<void, std::string> {
        const rlimit value{soft, hard};
        if (::setrlimit(resource, &value) != 0)
            return std::unexpected(std::string("setrlimit ") + name + ": " + std::strerror(errno));
        return {};
    };
    if (auto r = set(RLIMIT_CORE, 0, 0, "RLIMIT_CORE"); !r)
        return r;
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    // Sanitizer runtimes reserve terabytes of shadow address space: no RLIMIT_AS under them.
    if (auto r = set(RLIMIT_AS, limits.addressSpaceBytes, limits.addressSpaceBytes, "RLIMIT_AS");
        !r)
        return r;
#endif
    // Soft limit first: SIGXCPU is reported by our handler; the hard one is SIGKILL.
    if (auto r = set(RLIMIT_CPU, limits.cpuSeconds, limits.cpuSeconds + 1, "RLIMIT_CPU"); !r)
        return r;
    if (auto r = set(RLIMIT_NOFILE, limits.openFiles, limits.openFiles, "RLIMIT_NOFILE"); !r)
        return r;
    return {};
}

std::expected<void, std::string> installSeccomp(bool forExecutable) {
#if defined(__x86_64__)
    constexpr unsigned kArgLow0 = offsetof(seccomp_data, args[0]);
    // For an executable plugin (a go-plugin binary), the execve that starts it must pass, and
    // a refusal is an error code: its runtime has no SIGSYS handler of ours.
    constexpr std::uint32_t kNever = 0xffffffffu;
    const std::uint32_t execveNr = forExecutable ? kNever : SYS_execve;
    const std::uint32_t execveatNr = forExecutable ? kNever : SYS_execveat;
    const std::uint32_t refuse =
        forExecutable ? SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA) : SECCOMP_RET_TRAP;
    const sock_filter program[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        // x32 system calls would dodge the numbers below.
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 2),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArgLow0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 10, 9), // → allow : trap
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 2),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArgLow0),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 5, 4), // → allow : trap
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fork, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_vfork, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, execveNr, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, execveatNr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, refuse),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof program / sizeof program[0]),
                    const_cast<sock_filter*>(program)};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return std::unexpected(std::string("PR_SET_NO_NEW_PRIVS: ") + std::strerror(errno));
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        return std::unexpected(std::string("seccomp: ") + std::strerror(errno));
    return {};
#else
    (void)forExecutable;
    return std::unexpected(std::string("seccomp filter is only written for x86_64"));
#endif
}

std::vector<std::pair<std::string, int>> blockedAttempts() {
    std::vector<std::pair<std::string, int>> out;
    for (int i = 0; i < kBlockedCount; ++i)
        if (g_blocked[i] > 0)
            out.emplace_back(kBlockedNames[i], static_cast<int>(g_blocked[i]));
    return out;
}

} // namespace regscope::loader
