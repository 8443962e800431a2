// regscope-loader: the sacrificial process that dlopen()s one plugin for regscope.
// It speaks LoaderProtocol.h on its stdio; whatever the plugin does, only this process dies.

#include "FrameIo.h"
#include "PluginHost.h"
#include "Sandbox.h"
#include "connectors/loader/LoaderProtocol.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

using namespace regscope::loader;

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer stops the world with a clone() the seccomp filter refuses: no leak check in
// the loader (it exits right after unload anyway); the address checks stay on.
extern "C" const char* __asan_default_options();
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif

namespace {

volatile bool g_unloading = false;
const char* volatile g_stageForExit = "startup";

void onExit() {
    if (g_unloading)
        return;
    // Someone called exit() before we were asked to unload: almost always the plugin.
    std::fprintf(stderr, "\n%s stage=%s\n", kExitMarker.data(), g_stageForExit);
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
                send({{"ev", "report"},
                      {"outcome", "refused"},
                      {"stage", "verify"},
                      {"error", {{"code", "bad_request"}, {"message", error}}}});
                continue;
            }
            if (auto r = applyLimits(request->limits); !r) {
                send({{"ev", "report"},
                      {"outcome", "refused"},
                      {"stage", "verify"},
                      {"error", {{"code", "sandbox_failed"}, {"message", r.error()}}}});
                continue;
            }
            if (auto r = installSeccomp(); !r) {
                send({{"ev", "report"},
                      {"outcome", "refused"},
                      {"stage", "verify"},
                      {"error", {{"code", "sandbox_failed"}, {"message", r.error()}}}});
                continue;
            }
            g_stageForExit = "open";
            host.load(*request);
            g_stageForExit = "ready";
        } else if (op == "invoke") {
            g_stageForExit = "invoke";
            send(host.invoke(*frame));
            g_stageForExit = "ready";
        } else if (op == "unload") {
            break;
        } else {
            send({{"ev", "log"}, {"message", "unknown op " + op}});
        }
    }
    g_unloading = true;
    setCurrentStage("unload");
    return 0;
}
