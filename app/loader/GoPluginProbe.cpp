#include "app/loader/GoPluginProbe.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string_view>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace regscope::loader {
namespace {

constexpr std::size_t kMaxLine = 4096;
constexpr std::size_t kMaxStderr = 8192;

struct KnownHost {
    const char* host;
    const char* key;
    const char* value;
};
// The magic cookies of the best-known go-plugin hosts (their source, HandshakeConfig).
constexpr KnownHost kKnownHosts[] = {
    {"Terraform", "TF_PLUGIN_MAGIC_COOKIE",
     "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"},
    {"Vault", "VAULT_BACKEND_PLUGIN", "6669da05-b1c8-4f49-97d9-c8e5bed98e20"},
    {"Packer", "PACKER_PLUGIN_MAGIC_COOKIE",
     "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"},
    {"Nomad", "NOMAD_PLUGIN_MAGIC_COOKIE",
     "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255"},
};

std::vector<std::string> split(const std::string& line, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t at = line.find(sep, start);
        out.push_back(line.substr(start, at == std::string::npos ? at : at - start));
        if (at == std::string::npos)
            return out;
        start = at + 1;
    }
}

void readSome(int fd, std::string& into, std::size_t bound) {
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        into.append(buf, static_cast<std::size_t>(std::min<std::size_t>(n, bound)));
        if (into.size() > bound)
            into.erase(0, into.size() - bound);
    }
}

// Runs in the forked child: the cage, then the plugin through its pinned fd.
[[noreturn]] void execPlugin(const ProbeRequest& request, int out, int err,
                             const std::string& tmpdir) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int devNull = ::open("/dev/null", O_RDONLY);
    ::dup2(devNull, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    // The loader's limits are inherited; the filter is the executable's variant.
    if (!installSeccomp(/*forExecutable=*/true))
        ::_exit(126);
    const std::string cookie = request.cookie.key + "=" + request.cookie.value;
    const std::string versions =
        "PLUGIN_PROTOCOL_VERSIONS=" + std::to_string(request.expectedProtocol);
    const std::string tmp = "TMPDIR=" + tmpdir;
    std::vector<char*> env = {const_cast<char*>(cookie.c_str()), const_cast<char*>(tmp.c_str()),
                              const_cast<char*>("PATH=/usr/bin:/bin")};
    if (request.expectedProtocol > 0)
        env.push_back(const_cast<char*>(versions.c_str()));
    env.push_back(nullptr);
    char* argv[] = {const_cast<char*>("plugin"), nullptr};
    ::fexecve(request.fd, argv, env.data());
    ::_exit(127);
}

std::string words(const nlohmann::json& hs, int expected) {
    return "protocol mismatch: the plugin speaks app protocol version " +
           hs["app"].get<std::string>() + " (" + hs["protocol"].get<std::string>() +
           "), the host expects version " + std::to_string(expected);
}

void judgeHandshake(nlohmann::json& out, const std::string& line, const ProbeRequest& request) {
    const auto f = split(line, '|');
    if (f.size() < 5) {
        out["outcome"] = "no_handshake";
        out["message"] =
            "the plugin's first line is not a go-plugin handshake: " + line.substr(0, 120);
        return;
    }
    out["handshake"] = {{"core", f[0]},     {"app", f[1]},
                        {"network", f[2]},  {"address", f[3]},
                        {"protocol", f[4]}, {"tls", f.size() > 5 && !f[5].empty()}};
    if (f[0] != "1") {
        out["outcome"] = "protocol_mismatch";
        out["message"] =
            "protocol mismatch: go-plugin core protocol " + f[0] + ", only version 1 exists";
        return;
    }
    if (request.expectedProtocol > 0 && f[1] != std::to_string(request.expectedProtocol)) {
        out["outcome"] = "protocol_mismatch";
        out["message"] = words(out["handshake"], request.expectedProtocol);
        return;
    }
    out["outcome"] = "ok";
    if (f[4] == "grpc" && f[2] == "unix") {
        out["health"] = grpcHealthCheck(f[3], "plugin", request.timeoutMs);
        const auto& status = out["health"]["status"];
        out["message"] = "gRPC plugin on " + f[3] + ", app protocol " + f[1] +
                         "; grpc.health.v1 says " +
                         (status.is_string() ? status.get<std::string>()
                                             : out["health"].value("error", std::string("?")));
    } else if (f[4] == "netrpc") {
        out["message"] = "net/rpc plugin on " + f[2] + " " + f[3] + ", app protocol " + f[1] +
                         " (net/rpc over yamux: reported, not called)";
    } else {
        out["message"] = "plugin on " + f[2] + " " + f[3] + ", protocol " + f[4];
    }
}

} // namespace

GoPluginCookie chooseCookie(std::span<const std::byte> binary, const std::string& givenKey,
                            const std::string& givenValue) {
    if (!givenKey.empty())
        return {givenKey, givenValue, "given"};
    const std::string_view text(reinterpret_cast<const char*>(binary.data()), binary.size());
    for (const auto& known : kKnownHosts)
        if (text.find(known.key) != std::string_view::npos)
            return {known.key, known.value, std::string("built-in (") + known.host + ")"};
    return {};
}

nlohmann::json probeGoPlugin(const ProbeRequest& request) {
    nlohmann::json out = {
        {"outcome", "no_handshake"},
        {"cookie", {{"key", request.cookie.key}, {"source", request.cookie.source}}},
        {"handshake", nullptr},
        {"health", nullptr}};
    char dirTemplate[] = "/tmp/regscope-probe-XXXXXX";
    const char* tmpdir = ::mkdtemp(dirTemplate);
    int outPipe[2], errPipe[2];
    if (!tmpdir || ::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0) {
        out["message"] = std::string("cannot prepare the probe: ") + std::strerror(errno);
        return out;
    }
    const pid_t child = ::fork();
    if (child == 0)
        execPlugin(request, outPipe[1], errPipe[1], tmpdir);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    std::string line, errText;
    bool exited = false;
    int status = 0;
    const auto end =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(request.timeoutMs);
    ::fcntl(errPipe[0], F_SETFL, O_NONBLOCK);
    while (child > 0 && line.find('\n') == std::string::npos && line.size() < kMaxLine) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              end - std::chrono::steady_clock::now())
                              .count();
        pollfd p[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
        if (left <= 0 || ::poll(p, 2, static_cast<int>(left)) <= 0)
            break;
        if (p[1].revents & (POLLIN | POLLHUP))
            readSome(errPipe[0], errText, kMaxStderr);
        if (p[0].revents & (POLLIN | POLLHUP)) {
            char c[512];
            const ssize_t n = ::read(outPipe[0], c, sizeof c);
            if (n <= 0) {
                exited = ::waitpid(child, &status, 0) == child;
                break;
            }
            line.append(c, static_cast<std::size_t>(n));
        }
    }
    const std::size_t nl = line.find('\n');
    if (nl != std::string::npos)
        judgeHandshake(out, line.substr(0, nl), request);
    if (child > 0 && !exited) {
        ::kill(child, SIGKILL);
        ::waitpid(child, &status, 0);
    }
    readSome(errPipe[0], errText, kMaxStderr);
    ::close(outPipe[0]);
    ::close(errPipe[0]);
    if (nl == std::string::npos) {
        const bool refused = errText.find("This binary is a plugin") != std::string::npos;
        out["outcome"] = refused ? "cookie_refused" : "no_handshake";
        out["message"] =
            refused ? "the plugin refused the magic cookie " + request.cookie.key +
                          " (it says: this binary is a plugin, not meant to be executed directly)"
            : exited ? "the plugin exited with status " + std::to_string(WEXITSTATUS(status)) +
                           " before its handshake"
                     : "no handshake line within " + std::to_string(request.timeoutMs) + " ms";
    }
    out["stderr"] = errText;
    // go-plugin's socket (it never removed it: it was killed) and our directory.
    if (out["handshake"].is_object()) {
        const std::string address = out["handshake"]["address"];
        if (address.starts_with(std::string(tmpdir) + "/"))
            ::unlink(address.c_str());
    }
    ::rmdir(tmpdir);
    return out;
}

} // namespace regscope::loader
