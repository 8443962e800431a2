// regscope-loader: the sacrificial process that dlopen()s one plugin for regscope.
// It speaks LoaderProtocol.h on its stdio; whatever the plugin does, only this process dies.

#include "app/loader/FrameIo.h"
#include "app/loader/PluginHost.h"
#include "app/loader/Sandbox.h"
#include "connectors/loader/LoaderProtocol.h"

#include <sodium.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace regscope::loader;

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer stops the world with a clone() the seccomp filter refuses: no leak check in
// the loader (it exits right after unload anyway); the address checks stay on.
extern "C" const char* __asan_default_options();
extern "C" const char* __asan_default_options() {
    return "detect_leaks=0";
}
#endif

namespace {

volatile bool g_unloading = false;
const char* volatile g_stageForExit = "spawn";

void onExit() {
    if (g_unloading)
        return;
    // Someone called exit() before we were asked to unload: almost always the plugin.
    std::fprintf(stderr, "\n%s stage=%s\n", kExitMarker.data(), g_stageForExit);
}

// The app starts us with posix_spawn (vfork + exec), and Linux carries the app's peak RSS
// across exec into every rusage of this process. So the process the app started only relays:
// it forks the real loader (a fresh rusage, the small footprint of this process), waits for
// it with wait4, writes the loader's own peak RSS and CPU time to stderr and ends the way the
// loader ended (same exit status, same signal). The loader dies with the relay (PDEATHSIG).
void relayOrContinue() {
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child < 0)
        return; // no relay: the figures will be the polluted ones, the load still works
    if (child == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent)
            ::_exit(1);
        return;
    }
    const rlimit noCore{0, 0};
    ::setrlimit(RLIMIT_CORE, &noCore);
    ::close(STDIN_FILENO); // the protocol is between the app and the loader alone
    ::close(STDOUT_FILENO);
    int status = 0;
    rusage usage{};
    while (::wait4(child, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    std::fprintf(stderr, "\n%s maxrss_kib=%ld utime_us=%lld stime_us=%lld\n", kRusageMarker.data(),
                 usage.ru_maxrss,
                 static_cast<long long>(usage.ru_utime.tv_sec) * 1000000 + usage.ru_utime.tv_usec,
                 static_cast<long long>(usage.ru_stime.tv_sec) * 1000000 + usage.ru_stime.tv_usec);
    std::fflush(stderr);
    if (WIFEXITED(status))
        ::_exit(WEXITSTATUS(status));
    const int sig = WTERMSIG(status);
    ::signal(sig, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
    ::raise(sig);
    ::_exit(128 + sig);
}

std::optional<LoadRequest> parseLoad(const nlohmann::json& frame, std::string& error) {
    LoadRequest request;
    request.path = frame.value("path", std::string());
    if (request.path.empty()) {
        error = "load without a path";
        return std::nullopt;
    }
    request.requireSignature = frame.value("requireSignature", false);
    request.pauseAfterVerify = frame.value("pauseAfterVerify", false);
    if (auto keys = frame.find("trustedKeys"); keys != frame.end() && keys->is_array()) {
        for (const auto& key : *keys) {
            const std::string hex = key.is_string() ? key.get<std::string>() : std::string();
            std::array<std::uint8_t, 32> raw{};
            size_t len = 0;
            if (sodium_hex2bin(raw.data(), raw.size(), hex.data(), hex.size(), nullptr, &len,
                               nullptr) != 0 ||
                len != raw.size()) {
                error = "a trusted key is not 64 hex characters";
                return std::nullopt;
            }
            request.trustedKeys.push_back(raw);
        }
    }
    if (auto names = frame.find("knownNames"); names != frame.end() && names->is_array())
        for (const auto& name : *names)
            if (name.is_string())
                request.knownNames.insert(name.get<std::string>());
    if (auto cookie = frame.find("pluginCookie"); cookie != frame.end() && cookie->is_object()) {
        request.cookieKey = cookie->value("key", std::string());
        request.cookieValue = cookie->value("value", std::string());
    }
    request.expectedProtocol = frame.value("pluginProtocol", 0);
    request.probeTimeoutMs = frame.value("probeTimeoutMs", request.probeTimeoutMs);
    if (auto limits = frame.find("limits"); limits != frame.end() && limits->is_object()) {
        request.limits.addressSpaceBytes =
            limits->value("asBytes", request.limits.addressSpaceBytes);
        request.limits.cpuSeconds = limits->value("cpuSeconds", request.limits.cpuSeconds);
        request.limits.openFiles = limits->value("nofile", request.limits.openFiles);
    }
    return request;
}

} // namespace

int main() {
    const char* cookie = std::getenv(kCookieKey.data());
    if (!cookie || kCookieValue != cookie) {
        std::fprintf(stderr,
                     "This binary is regscope's plugin loader. It is started by regscope to load "
                     "a plugin in a sacrificial process and is not meant to be run by hand.\n");
        return 1;
    }
    // A scrubbed environment: the plugin sees nothing of the parent's (LD_PRELOAD was already
    // left out by the parent; this drops the cookie and anything else).
    ::clearenv();
    relayOrContinue();
    if (sodium_init() < 0) {
        std::fprintf(stderr, "regscope-loader: libsodium failed to initialise\n");
        return 2;
    }
    installFatalHandlers();
    std::atexit(onExit);

    // Move the protocol off fds 0/1: a plugin that prints to stdout lands in stderr instead
    // of corrupting the frames.
    const int protoIn = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    const int protoOut = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (protoIn < 0 || protoOut < 0 || devNull < 0)
        return 2;
    ::dup2(devNull, STDIN_FILENO);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    ::close(devNull);

    const std::string handshake = std::to_string(kCoreProtocolVersion) + "|" +
                                  REGSCOPE_VERSION_STRING + "|" + std::string(kNetwork) + "|" +
                                  std::to_string(::getpid()) + "|" + std::string(kProtocol) + "\n";
    if (::write(protoOut, handshake.data(), handshake.size()) !=
        static_cast<ssize_t>(handshake.size()))
        return 2;

    auto send = [protoOut](const nlohmann::json& frame) { return writeFrame(protoOut, frame); };
    auto waitResume = [protoIn]() {
        const auto frame = readFrame(protoIn);
        const std::string op = frame ? frame->value("op", std::string()) : std::string();
        if (op != "resume") {
            // Unloaded (or the parent went away) while paused after verify.
            g_unloading = true;
            std::exit(0);
        }
        return true;
    };
    PluginHost host(send, waitResume);
    bool loaded = false;

    for (;;) {
        const auto frame = readFrame(protoIn);
        if (!frame) // parent gone or spoke garbage: nothing to report to
            break;
        const std::string op = frame->value("op", std::string());
        if (op == "load" && !loaded) {
            loaded = true;
            std::string error;
            auto request = parseLoad(*frame, error);
            if (!request) {
                send(
                    {{"ev", "report"},
                     {"outcome", "refused"},
                     {"stage", codeName(Stage::Verify)},
                     {"error", {{"code", codeName(LoaderError::BadRequest)}, {"message", error}}}});
                continue;
            }
            g_stageForExit = codeName(Stage::Open).data();
            host.load(*request);
            g_stageForExit = codeName(Stage::Ready).data();
        } else if (op == "invoke") {
            g_stageForExit = codeName(Stage::Invoke).data();
            send(host.invoke(*frame));
            g_stageForExit = codeName(Stage::Ready).data();
        } else if (op == "unload") {
            break;
        } else {
            send({{"ev", "log"}, {"message", "unknown op " + op}});
        }
    }
    g_unloading = true;
    setCurrentStage(codeName(Stage::Unload).data());
    return 0;
}
