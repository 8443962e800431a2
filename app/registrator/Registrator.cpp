#include "app/registrator/Registrator.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <random>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace regscope::registrator {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int g_signalPipe[2] = {-1, -1};

extern "C" void onSignal(int sig) {
    const int saved = errno;
    const auto byte = static_cast<unsigned char>(sig);
    [[maybe_unused]] const auto n = ::write(g_signalPipe[1], &byte, 1);
    errno = saved;
}

void log(const std::string& text) {
    std::fprintf(stderr, "regscope-registrator: %s\n", text.c_str());
}

bool installSignals() {
    if (::pipe2(g_signalPipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return false;
    struct sigaction sa {};
    sa.sa_handler = &onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    for (const int sig : {SIGTERM, SIGINT, SIGCHLD})
        if (::sigaction(sig, &sa, nullptr) != 0)
            return false;
    return true;
}

pid_t spawn(const std::vector<std::string>& command) {
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid != 0)
        return pid;
    // Child: default signal dispositions, and die with the registrator: a service nobody
    // keeps registered must not linger (its instance would be evicted anyway).
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    for (const int sig : {SIGTERM, SIGINT, SIGCHLD})
        ::sigaction(sig, &sa, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent)
        ::_exit(127);
    std::vector<char*> argv;
    for (const auto& a : command)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "regscope-registrator: cannot run %s: %s\n", argv[0],
                 std::strerror(errno));
    ::_exit(127);
}

int exitStatusOf(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

// One supervised run: the child, the registration's state, and what to do next.
class Supervision {
public:
    Supervision(RegistrationBackend& backend, const SupervisorOptions& options, pid_t child)
        : m_backend(backend)
        , m_options(options)
        , m_child(child)
        , m_rng(static_cast<unsigned>(::getpid()))
        , m_backoff(options.retryMin) {}

    int loop() {
        while (m_childStatus < 0) {
            const int stopSignal = waitForWork();
            int status = 0;
            if (::waitpid(m_child, &status, WNOHANG) == m_child) {
                m_childStatus = exitStatusOf(status);
                log("service exited with status " + std::to_string(m_childStatus));
                break;
            }
            if (stopSignal && !m_terminating)
                beginStop(stopSignal);
            else if (m_terminating)
                escalate();
            else if (Clock::now() >= m_nextAction)
                step();
        }
        if (m_registered)
            cancel();
        return m_childStatus;
    }

private:
    // Sleeps until the next action, a signal or the child's end; returns SIGTERM/SIGINT if
    // one came.
    int waitForWork() {
        const auto wakeAt = m_terminating ? m_killAt : m_nextAction;
        const auto waitMs = std::max<long long>(
            0, std::chrono::duration_cast<milliseconds>(wakeAt - Clock::now()).count());
        pollfd p{g_signalPipe[0], POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(std::min<long long>(waitMs, 60'000)));
        int stopSignal = 0;
        unsigned char sig = 0;
        while (::read(g_signalPipe[0], &sig, 1) == 1)
            if (sig == SIGTERM || sig == SIGINT)
                stopSignal = sig;
        return stopSignal;
    }

    void cancel() {
        if (auto r = m_backend.cancel(m_options.callTimeout); r)
            log("cancelled registration");
        else
            log("cancel failed: " + r.error().message);
        m_registered = false;
    }

    void beginStop(int stopSignal) {
        m_terminating = true;
        // Deregister first so no new traffic is sent to a stopping service.
        if (m_registered)
            cancel();
        ::kill(m_child, stopSignal);
        m_killAt = Clock::now() + m_options.grace;
    }

    void escalate() {
        if (Clock::now() < m_killAt)
            return;
        log("service ignored the stop signal; killing it");
        ::kill(m_child, SIGKILL);
        m_killAt = Clock::now() + m_options.grace;
    }

    // Jitter keeps a fleet that lost its server from coming back in lockstep.
    milliseconds jittered(milliseconds d) {
        std::uniform_real_distribution<double> f(0.8, 1.2);
        return milliseconds(static_cast<long long>(static_cast<double>(d.count()) * f(m_rng)));
    }

    void retryIn(milliseconds wait) {
        m_nextAction = Clock::now() + jittered(wait);
        m_backoff = std::min(m_backoff * 2, m_options.retryMax);
    }

    void step() {
        if (!m_registered) {
            if (auto r = m_backend.registerInstance(m_options.callTimeout); r) {
                m_registered = true;
                m_backoff = m_options.retryMin;
                m_nextAction = Clock::now() + m_backend.renewInterval();
                log("registered");
            } else {
                log("register failed (" + r.error().message + "); retrying in " +
                    std::to_string(m_backoff.count()) + " ms");
                retryIn(m_backoff);
            }
            return;
        }
        if (auto r = m_backend.renew(m_options.callTimeout); r) {
            m_backoff = m_options.retryMin;
            m_nextAction = Clock::now() + m_backend.renewInterval();
        } else if (r.error().code == RegErrorCode::NotRegistered) {
            log("registry forgot this instance (" + r.error().message + "); registering again");
            m_registered = false;
            m_nextAction = Clock::now();
        } else {
            // Keep renewing at least as often as the interval while the server is away.
            const auto wait = std::min(m_backoff, m_backend.renewInterval());
            log("renew failed (" + r.error().message + "); retrying in " +
                std::to_string(wait.count()) + " ms");
            retryIn(wait);
        }
    }

    RegistrationBackend& m_backend;
    const SupervisorOptions& m_options;
    const pid_t m_child;
    std::mt19937 m_rng;
    milliseconds m_backoff;
    bool m_registered = false;
    bool m_terminating = false;
    int m_childStatus = -1;
    Clock::time_point m_nextAction = Clock::now();
    Clock::time_point m_killAt{};
};

} // namespace

Registrator::Registrator(RegistrationBackend& backend, SupervisorOptions options)
    : m_backend(backend)
    , m_options(std::move(options)) {}

int Registrator::run() {
    if (m_options.command.empty()) {
        log("no command to run");
        return 2;
    }
    if (!installSignals()) {
        log(std::string("cannot install signal handlers: ") + std::strerror(errno));
        return 1;
    }
    const pid_t child = spawn(m_options.command);
    if (child < 0) {
        log(std::string("fork failed: ") + std::strerror(errno));
        return 1;
    }
    log("started " + m_options.command.front() + " (pid " + std::to_string(child) + "); " +
        m_backend.describe());
    return Supervision(m_backend, m_options, child).loop();
}

} // namespace regscope::registrator
