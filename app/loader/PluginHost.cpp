#include "app/loader/PluginHost.h"

#include "connectors/loader/LoaderProtocol.h"
#include "connectors/loader/elf/ElfFacts.h"
#include "regscope_plugin.h"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace regscope::loader {
namespace {

constexpr size_t kMaxPluginBytes = 256u << 20;
constexpr size_t kMaxRegistrations = 1000;
constexpr size_t kMaxField = 512;

std::string bounded(const char* text) {
    if (!text)
        return {};
    return std::string(text, strnlen(text, kMaxField));
}

std::string toBase64(const std::string& bytes) {
    std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::optional<std::string> fromBase64(const std::string& text) {
    std::string out(text.size(), '\0');
    size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                          text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
        return std::nullopt;
    out.resize(len);
    return out;
}

long rssKiB() {
    char buf[256];
    const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    long size = 0, resident = 0;
    if (std::sscanf(buf, "%ld %ld", &size, &resident) != 2)
        return -1;
    return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

// Reads a detached signature: 64 raw bytes or 128 hex characters (plus whitespace).
std::optional<std::array<std::uint8_t, 64>> readSignature(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return std::nullopt;
    char buf[300];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    std::array<std::uint8_t, 64> sig{};
    if (n == 64) {
        std::memcpy(sig.data(), buf, 64);
        return sig;
    }
    size_t len = 0;
    if (n > 0 &&
        sodium_hex2bin(sig.data(), sig.size(), buf, static_cast<size_t>(n), " \n\r\t", &len,
                       nullptr) == 0 &&
        len == 64)
        return sig;
    return std::nullopt;
}

extern "C" int hostRegister(const regscope_host* host, const regscope_impl* impl) {
    if (!host || !impl)
        return 1;
    return static_cast<PluginHost*>(host->host_ctx)->registerImpl(*impl);
}

extern "C" void hostLog(const regscope_host* host, const char* message) {
    if (host && message)
        static_cast<PluginHost*>(host->host_ctx)->log(message);
}

struct OutputSink {
    std::string bytes;
    bool overflow = false;
};

extern "C" int appendOutput(void* ctx, const std::uint8_t* data, size_t len) {
    auto* sink = static_cast<OutputSink*>(ctx);
    if (sink->bytes.size() + len > kMaxInvokeOutputBytes) {
        sink->overflow = true;
        return 1;
    }
    sink->bytes.append(reinterpret_cast<const char*>(data), len);
    return 0;
}

} // namespace

double monotonicMs() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

PluginHost::PluginHost(Send send, WaitResume waitResume)
    : m_send(std::move(send))
    , m_waitResume(std::move(waitResume))
    , m_registry({.typeName = "plugin", .audit = std::make_shared<registry::NullAuditSink>()}) {}

void PluginHost::beginStage(Stage stage) {
    setCurrentStage(codeName(stage).data());
    m_stageStartMs = monotonicMs();
    m_send({{"ev", "stage"}, {"stage", codeName(stage)}, {"state", "start"}});
}

void PluginHost::endStage(Stage stage, bool ok, LoaderError code, const std::string& message) {
    const double ms = monotonicMs() - m_stageStartMs;
    nlohmann::json frame = {
        {"ev", "stage"}, {"stage", codeName(stage)}, {"state", "end"}, {"ok", ok}, {"ms", ms}};
    if (!ok)
        frame["error"] = {{"code", codeName(code)}, {"message", message}};
    m_stages.push_back({{"stage", codeName(stage)}, {"ok", ok}, {"ms", ms}});
    m_send(frame);
}

nlohmann::json PluginHost::baseReport() const {
    nlohmann::json regs = nlohmann::json::array();
    nlohmann::json collisions = nlohmann::json::array();
    for (const auto& r : m_registrations) {
        regs.push_back({{"kind", r.kind},
                        {"name", r.name},
                        {"version", r.version},
                        {"description", r.description},
                        {"hasProcess", r.process != nullptr},
                        {"collision", r.collision},
                        {"rejected", r.rejected}});
        if (r.collision)
            collisions.push_back(r.name);
    }
    nlohmann::json blocked = nlohmann::json::array();
    for (const auto& [what, count] : blockedAttempts())
        blocked.push_back({{"what", what}, {"count", count}});
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return {{"ev", "report"},
            {"file", m_file},
            {"plugin", m_plugin},
            {"entryPoint", m_hasEntry},
            {"registrations", regs},
            {"collisions", collisions},
            {"signature", {{"status", m_signature}, {"key", m_signatureKey}}},
            {"stages", m_stages},
            {"loadMs", monotonicMs() - m_loadStartMs},
            {"rssKiB", rssKiB()},
            // Our own: the relay forked us, so this rusage is not polluted by the app's.
            {"peakRssKiB", usage.ru_maxrss},
            {"cpuMs", double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                          double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3},
            {"blocked", blocked}};
}

bool PluginHost::refuse(Stage stage, LoaderError code, const std::string& message) {
    endStage(stage, false, code, message);
    auto report = baseReport();
    report["outcome"] = "refused";
    report["stage"] = codeName(stage);
    report["error"] = {{"code", codeName(code)}, {"message", message}};
    m_send(report);
    return false;
}

int PluginHost::registerImpl(const regscope_impl& impl) {
    if (m_registrations.size() >= kMaxRegistrations || !impl.name || !*impl.name)
        return 1;
    Registration r{bounded(impl.kind),
                   bounded(impl.name),
                   bounded(impl.version),
                   bounded(impl.description),
                   impl.process,
                   false,
                   {}};
    const bool duplicate = std::any_of(m_registrations.begin(), m_registrations.end(),
                                       [&](const Registration& o) { return o.name == r.name; });
    r.collision = duplicate || (m_request && m_request->knownNames.contains(r.name));
    // The init()-registration pattern, isolated: it lands in a real registry in this process.
    auto added = m_registry.Register(r.name, r.version,
                                     std::make_shared<PluginProcess>(PluginProcess{impl.process}),
                                     {.kind = r.kind,
                                      .description = r.description,
                                      .origin = m_request ? m_request->path : std::string()});
    if (!added)
        r.rejected = std::string(registry::ToString(added.error().code));
    m_registrations.push_back(std::move(r));
    return added ? 0 : 1;
}

void PluginHost::log(const char* message) {
    m_send({{"ev", "log"}, {"message", bounded(message)}});
}

// The directory holding the file must not be world-writable (sticky or not: a sticky dir still
// lets anyone plant a file next to it); ancestors must not be world-writable unless sticky.
static std::optional<std::string> worldWritableDirectory(const std::string& realPath) {
    std::string dir = realPath.substr(0, realPath.find_last_of('/'));
    bool immediate = true;
    while (!dir.empty()) {
        struct stat dst {};
        if (::stat(dir.c_str(), &dst) == 0 && (dst.st_mode & S_IWOTH) &&
            (immediate || !(dst.st_mode & S_ISVTX)))
            return dir;
        immediate = false;
        dir = dir.substr(0, dir.find_last_of('/'));
    }
    return std::nullopt;
}

bool PluginHost::checkSignature(const std::vector<std::byte>& bytes) {
    const LoadRequest& request = *m_request;
    if (request.trustedKeys.empty() && !request.requireSignature)
        return true;
    const auto sig = readSignature(request.path + ".sig");
    if (!sig) {
        m_signature = "unsigned";
        if (request.requireSignature)
            return refuse(Stage::Verify, LoaderError::Unsigned,
                          "no valid detached signature " + request.path +
                              ".sig and unsigned plugins are refused");
        return true;
    }
    m_signature = "bad signature";
    for (size_t i = 0; i < request.trustedKeys.size(); ++i) {
        if (crypto_sign_verify_detached(sig->data(),
                                        reinterpret_cast<const unsigned char*>(bytes.data()),
                                        bytes.size(), request.trustedKeys[i].data()) == 0) {
            m_signature = "valid";
            m_signatureKey = static_cast<int>(i);
            return true;
        }
    }
    return refuse(Stage::Verify, LoaderError::BadSignature,
                  "the signature does not match the file's bytes under any trusted key "
                  "(tampered, or signed by someone else)");
}

// Pin the file by fd, check it, read it once, send its facts, check the signature.
bool PluginHost::verifyStage(int& fd, std::string& fdPath) {
    const LoadRequest& request = *m_request;
    beginStage(Stage::Verify);
    fd = ::open(request.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return refuse(Stage::Verify,
                      errno == ENOENT ? LoaderError::NotFound : LoaderError::Unreadable,
                      request.path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return refuse(Stage::Verify, LoaderError::NotRegular,
                      request.path + " is not a regular file");
    char real[4096];
    fdPath = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t realLen = ::readlink(fdPath.c_str(), real, sizeof real - 1);
    const std::string realPath =
        realLen > 0 ? std::string(real, static_cast<size_t>(realLen)) : request.path;
    m_file["realPath"] = realPath;
    m_file["size"] = static_cast<long long>(st.st_size);
    m_file["mode"] = st.st_mode & 07777;
    if (st.st_mode & S_IWOTH)
        return refuse(Stage::Verify, LoaderError::WorldWritable,
                      realPath + " is world-writable: anyone could have replaced its code");
    if (auto dir = worldWritableDirectory(realPath))
        return refuse(Stage::Verify, LoaderError::WorldWritableDir,
                      *dir + " is world-writable: the plugin could be swapped by anyone");
    if (static_cast<size_t>(st.st_size) > kMaxPluginBytes)
        return refuse(Stage::Verify, LoaderError::TooLarge, "larger than 256 MiB");
    std::vector<std::byte> bytes(static_cast<size_t>(st.st_size));
    for (size_t done = 0; done < bytes.size();) {
        const ssize_t n =
            ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
        if (n <= 0)
            return refuse(Stage::Verify, LoaderError::Unreadable,
                          std::string("read: ") + std::strerror(errno));
        done += static_cast<size_t>(n);
    }
    // The facts first, as their own frame: whatever the plugin does next, the app has them.
    elf::FactsOptions options;
    options.fileName = request.path.substr(request.path.find_last_of('/') + 1);
    options.originDirectory = realPath.substr(0, realPath.find_last_of('/'));
    const nlohmann::json facts = elf::readFacts(bytes, options);
    m_file["sha256"] = facts["sha256"];
    m_send({{"ev", "facts"}, {"loadedAs", fdPath}, {"facts", facts}});
    if (!checkSignature(bytes))
        return false;
    if (facts["format"] != "ELF")
        return refuse(Stage::Verify, LoaderError::NotElf, request.path + " is not an ELF file");
    if (facts["kind"]["kind"] == "go-plugin") {
        // An executable plugin: the probe stage starts it (the cookie is in its bytes or given).
        m_goPlugin = true;
        const auto cookie = chooseCookie(bytes, request.cookieKey, request.cookieValue);
        m_cookieKey = cookie.key;
        m_cookieValue = cookie.value;
        m_cookieSource = cookie.source;
        endStage(Stage::Verify, true);
        return true;
    }
    if (facts["elfType"] != "shared object")
        return refuse(Stage::Verify, LoaderError::NotSharedObject,
                      request.path + " is an ELF " + facts["elfType"].get<std::string>() +
                          ", not a shared object: it cannot be loaded");
    const auto& exports = facts["exports"];
    m_hasEntry = exports.is_array() && std::find(exports.begin(), exports.end(),
                                                 REGSCOPE_PLUGIN_ENTRY_SYMBOL) != exports.end();
    endStage(Stage::Verify, true);
    return true;
}

// Through the pinned fd, never the path (no swap between check and load).
bool PluginHost::openStage(const std::string& fdPath) {
    beginStage(Stage::Open);
    m_handle = ::dlopen(fdPath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!m_handle) {
        const char* err = ::dlerror();
        std::string message = err ? err : "dlopen failed";
        // dlerror names the descriptor we loaded through: name the user's file instead.
        for (auto at = message.find(fdPath); at != std::string::npos; at = message.find(fdPath))
            message.replace(at, fdPath.size(), m_request->path);
        return refuse(Stage::Open, LoaderError::DlopenFailed, message);
    }
    endStage(Stage::Open, true);
    return true;
}

// The entry point; a plain .so has none and is only inspected.
bool PluginHost::resolveStage(const regscope_plugin_descriptor*& descriptor) {
    beginStage(Stage::Resolve);
    const auto entry =
        reinterpret_cast<regscope_plugin_entry_fn>(::dlsym(m_handle, REGSCOPE_PLUGIN_ENTRY_SYMBOL));
    m_hasEntry = entry != nullptr;
    if (entry) {
        descriptor = entry();
        if (!descriptor)
            return refuse(Stage::Resolve, LoaderError::NoDescriptor,
                          "regscope_plugin_entry returned NULL");
        // Only abi_version may be read before it is checked: the rest may be laid out
        // differently in another ABI.
        m_plugin = {{"abi", descriptor->abi_version}};
        if (descriptor->abi_version != REGSCOPE_PLUGIN_ABI_VERSION)
            return refuse(Stage::Resolve, LoaderError::WrongAbi,
                          "plugin ABI version " + std::to_string(descriptor->abi_version) +
                              ", this loader speaks " +
                              std::to_string(REGSCOPE_PLUGIN_ABI_VERSION));
        m_plugin["name"] = bounded(descriptor->name);
        m_plugin["version"] = bounded(descriptor->version);
    }
    endStage(Stage::Resolve, true);
    return true;
}

// The plugin's init() calls back for every implementation.
bool PluginHost::registerStage(const regscope_plugin_descriptor* descriptor) {
    beginStage(Stage::Register);
    if (descriptor && descriptor->init) {
        regscope_host host{REGSCOPE_PLUGIN_ABI_VERSION, this, hostRegister, hostLog};
        const int rc = descriptor->init(&host);
        if (rc != 0)
            return refuse(Stage::Register, LoaderError::InitFailed,
                          "the plugin's init() returned " + std::to_string(rc));
    }
    endStage(Stage::Register, true);
    return true;
}

bool PluginHost::probeStage(int fd) {
    beginStage(Stage::Probe);
    if (m_cookieKey.empty())
        return refuse(Stage::Probe, LoaderError::NeedsCookie,
                      "a go-plugin binary: it needs its host's magic cookie (--plugin-cookie "
                      "KEY=VALUE, or the Cookie field of the Plugins panel)");
    ProbeRequest probe{fd,
                       {m_cookieKey, m_cookieValue, m_cookieSource},
                       m_request->expectedProtocol,
                       m_request->probeTimeoutMs,
                       m_request->limits};
    m_plugin = {{"probe", probeGoPlugin(probe)}};
    const std::string outcome = m_plugin["probe"]["outcome"];
    if (outcome != "ok")
        return refuse(Stage::Probe, LoaderError::HandshakeRefused,
                      m_plugin["probe"]["message"].get<std::string>());
    endStage(Stage::Probe, true);
    setCurrentStage(codeName(Stage::Ready).data());
    auto report = baseReport();
    report["outcome"] = "ready";
    report["stage"] = codeName(Stage::Ready);
    m_send(report);
    return true;
}

bool PluginHost::load(const LoadRequest& request) {
    m_request = &request;
    m_loadStartMs = monotonicMs();
    m_file["path"] = request.path;
    int fd = -1;
    std::string fdPath;
    if (!verifyStage(fd, fdPath))
        return false;
    // No plugin code ran so far; from here on it may, so the cage closes now. A go-plugin
    // binary's runtime reserves address space up front: it gets 4 GiB of it (virtual).
    Limits limits = request.limits;
    if (m_goPlugin)
        limits.addressSpaceBytes = std::max<std::uint64_t>(limits.addressSpaceBytes, 4ull << 30);
    if (auto limited = applyLimits(limits); !limited)
        return refuse(m_goPlugin ? Stage::Probe : Stage::Open, LoaderError::SandboxFailed,
                      limited.error());
    if (m_goPlugin)
        return probeStage(fd);
    if (request.sandbox)
        if (auto caged = installSeccomp(); !caged)
            return refuse(Stage::Open, LoaderError::SandboxFailed, caged.error());
    if (request.pauseAfterVerify && !m_waitResume())
        return false;
    const regscope_plugin_descriptor* descriptor = nullptr;
    if (!openStage(fdPath) || !resolveStage(descriptor) || !registerStage(descriptor))
        return false;
    beginStage(Stage::Ready);
    endStage(Stage::Ready, true);
    setCurrentStage(codeName(Stage::Ready).data());
    auto report = baseReport();
    report["outcome"] = "ready";
    report["stage"] = codeName(Stage::Ready);
    m_send(report);
    return true;
}

nlohmann::json PluginHost::invoke(const nlohmann::json& request) {
    const auto id = request.value("id", 0LL);
    nlohmann::json result = {{"ev", "result"}, {"id", id}, {"ok", false}};
    const std::string name = request.value("name", std::string());
    const auto handle = m_registry.Lookup(name);
    if (!handle) {
        result["error"] = {{"code", "unknown_name"}, {"message", "nothing registered as " + name}};
        return result;
    }
    const auto process = (*handle)->process;
    if (!process) {
        result["error"] = {{"code", "no_process"}, {"message", name + " has no process()"}};
        return result;
    }
    const auto payload = fromBase64(request.value("payload", std::string()));
    if (!payload) {
        result["error"] = {{"code", "bad_request"}, {"message", "payload is not base64"}};
        return result;
    }
    OutputSink sink;
    setCurrentStage(codeName(Stage::Invoke).data());
    const double start = monotonicMs();
    const int status = process(reinterpret_cast<const std::uint8_t*>(payload->data()),
                               payload->size(), appendOutput, &sink);
    result["ms"] = monotonicMs() - start;
    setCurrentStage(codeName(Stage::Ready).data());
    result["status"] = status;
    if (sink.overflow) {
        result["error"] = {{"code", "output_too_large"},
                           {"message", "output above the 8 MiB bound"}};
        return result;
    }
    result["ok"] = status == 0;
    if (status != 0)
        result["error"] = {{"code", "plugin_error"},
                           {"message", "process() returned " + std::to_string(status)}};
    result["output"] = toBase64(sink.bytes);
    return result;
}

} // namespace regscope::loader
