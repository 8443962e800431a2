#include "models/registry/DebugEndpoint.h"

#include "models/registry/EndpointInternal.h"
#include "models/registry/RegistryInternal.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <sstream>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace regscope::registry {

namespace detail {

std::atomic<bool> gEndpointForked{false};

namespace {

// Leaked on purpose: registries with static storage may be destroyed after any other static.
struct EndpointState {
    std::mutex startMutex; // Start / Stop
    EndpointServer* server = nullptr;
    std::thread* thread = nullptr;
    std::string path;
    long ownerPid = 0;
    int wakeFd = -1;
    std::atomic<bool> wakePending{false};
    std::atomic<bool> running{false};
    std::string processName;
    bool hooksInstalled = false;
};

EndpointState& State() {
    static auto* s = new EndpointState;
    return *s;
}

std::string ErrnoText(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

Error EndpointFailure(std::string message) {
    return Error{ErrorCode::EndpointError, std::move(message)};
}

// Exposes `reg` (directory mutex held).
void ExposeLocked(Directory& d, RegistryCore& reg) {
    auto e = std::make_shared<ExposedRegistry>();
    e->id = d.nextId++;
    e->registry = &reg;
    const std::string base = reg.TypeName().empty() ? std::string("registry") : reg.TypeName();
    std::string name = base;
    for (int n = 2;; ++n) {
        const bool taken = std::any_of(d.exposed.begin(), d.exposed.end(),
                                       [&](const auto& x) { return x->name == name; });
        if (!taken)
            break;
        name = base + "#" + std::to_string(n);
    }
    e->name = std::move(name);
    e->feed = std::make_shared<EndpointFeed>();
    e->observer = reg.AddObserver(e->feed);
    d.exposed.push_back(std::move(e));
    ++d.version;
}

void UnexposeAllLocked(Directory& d) {
    for (auto& e : d.exposed) {
        if (!e->gone && e->registry)
            e->registry->RemoveObserver(e->observer);
        e->gone = true;
        e->registry = nullptr;
    }
    d.exposed.clear();
    ++d.version;
}

void ForkPrepare() {
    Dir().mutex.lock();
}
void ForkParent() {
    Dir().mutex.unlock();
}
void ForkChild() {
    gEndpointForked.store(true);
    auto& s = State();
    if (s.server)
        s.server->CloseDescriptorsInChild(); // the parent's socket and clients: not ours
    if (s.wakeFd >= 0)
        ::close(s.wakeFd);
    s.wakeFd = -1;
    s.server = nullptr; // leaked: its thread does not exist here
    s.thread = nullptr;
    s.running.store(false);
    s.path.clear();
    // The registries keep their observers, but the feeds record nothing from now on.
    for (auto& e : Dir().exposed)
        e->feed->dead.store(true);
    Dir().exposed.clear();
    Dir().mutex.unlock();
    // A later Start() in the child serves on its own <pid>.sock.
    gEndpointForked.store(false);
}

void AtExit() {
    debug::Stop();
}

bool EnvRequested() {
    const char* v = std::getenv("REGSCOPE_DEBUG");
    return v && std::string_view(v) == "1";
}

std::string ResolvePath(const debug::EndpointOptions& o, std::string& dirToCreate) {
    if (!o.socketPath.empty())
        return o.socketPath;
    if (const char* p = std::getenv("REGSCOPE_DEBUG_SOCKET"); p && *p)
        return p;
    dirToCreate = debug::DefaultSocketDirectory();
    return dirToCreate + "/" + std::to_string(::getpid()) + ".sock";
}

// Creates the directory 0700, or checks an existing one is ours and private.
std::expected<void, Error> PrepareDirectory(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return std::unexpected(EndpointFailure(ErrnoText("cannot create " + dir)));
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0)
        return std::unexpected(EndpointFailure(ErrnoText("cannot stat " + dir)));
    if (!S_ISDIR(st.st_mode))
        return std::unexpected(EndpointFailure(dir + " is not a directory (a symlink?)"));
    if (st.st_uid != ::getuid())
        return std::unexpected(
            EndpointFailure(dir + " belongs to uid " + std::to_string(st.st_uid) + ", not to us"));
    if ((st.st_mode & 077) != 0)
        return std::unexpected(EndpointFailure(dir + " is open to group or others (mode " +
                                               std::to_string(st.st_mode & 0777) + ")"));
    return {};
}

std::expected<int, Error> BindSocket(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return std::unexpected(EndpointFailure("socket path too long: " + path));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return std::unexpected(EndpointFailure(ErrnoText("socket")));
    // A stale file of our name: a dead process whose pid we now have, or an earlier Start.
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
        ::unlink(path.c_str());
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        auto e = EndpointFailure(ErrnoText("bind " + path));
        ::close(fd);
        return std::unexpected(std::move(e));
    }
    if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 64) != 0) {
        auto e = EndpointFailure(ErrnoText("chmod/listen " + path));
        ::close(fd);
        ::unlink(path.c_str());
        return std::unexpected(std::move(e));
    }
    return fd;
}

} // namespace

Directory& Dir() {
    static auto* d = new Directory;
    return *d;
}

void WakeEndpoint() {
    auto& s = State();
    if (s.wakePending.exchange(true, std::memory_order_acq_rel))
        return;
    const int fd = s.wakeFd;
    if (fd >= 0) {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
    }
}

void ClearWakePending() {
    State().wakePending.store(false, std::memory_order_release);
}

void EndpointFeed::OnChange(const ChangeEvent& e) {
    if (dead.load(std::memory_order_relaxed))
        return;
    const bool change = e.kind != ChangeKind::DeprecatedLookup;
    AuditRecord a = AuditFor(e.action, e);
    if (e.kind == ChangeKind::DeprecatedLookup)
        a.outcome = "warning";
    bool wake = false;
    {
        std::lock_guard lock(mutex);
        audit.push_back({nextAuditSeq++, std::move(a)});
        if (audit.size() > protocol::kAuditTail)
            audit.pop_front();
        wake = recording.load(std::memory_order_acquire);
        if (change && wake) {
            log.push_back({nextSeq, e});
            if (log.size() > protocol::kChangeLog)
                log.pop_front();
        }
        if (change)
            ++nextSeq; // counted even when not recorded: a gap is then detectable
    }
    if (wake) // nobody attached: nothing to send, let the endpoint thread sleep
        WakeEndpoint();
}

void EndpointRegistryCreated(RegistryCore& registry) {
    auto& d = Dir();
    bool autoStart = false;
    {
        std::lock_guard lock(d.mutex);
        d.all.push_back(&registry);
        if (State().running.load())
            ExposeLocked(d, registry);
        else
            autoStart = EnvRequested();
    }
    if (autoStart) {
        static std::once_flag once; // REGSCOPE_DEBUG=1 starts it once; Stop() is then final
        std::call_once(once, [] {
            if (auto r = debug::Start(); !r)
                std::cerr << "regscope: REGSCOPE_DEBUG=1 but the debug endpoint did not start: "
                          << r.error().message << "\n";
        });
    }
}

void EndpointRegistryDestroyed(RegistryCore& registry) {
    auto& d = Dir();
    std::lock_guard lock(d.mutex);
    std::erase(d.all, &registry);
    for (auto it = d.exposed.begin(); it != d.exposed.end(); ++it)
        if ((*it)->registry == &registry) {
            registry.RemoveObserver((*it)->observer);
            (*it)->gone = true;
            (*it)->registry = nullptr;
            d.exposed.erase(it);
            ++d.version;
            break;
        }
    WakeEndpoint();
}

} // namespace detail

std::string SharedObjectOf(const void* address) {
    Dl_info info{};
    if (address && ::dladdr(address, &info) != 0 && info.dli_fname && *info.dli_fname) {
        std::string name = info.dli_fname;
        if (name.find('/') != std::string::npos)
            return name;
    }
    // The executable itself is reported under its argv[0] (or nothing): use its real path.
    char buf[4096];
    const auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

namespace debug {

std::string DefaultSocketDirectory() {
    if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x == '/') {
        struct stat st {};
        if (::stat(x, &st) == 0 && S_ISDIR(st.st_mode))
            return std::string(x) + "/regscope";
    }
    return "/tmp/regscope-" + std::to_string(::getuid());
}

std::expected<std::string, Error> Start(EndpointOptions options) {
    using namespace detail;
    auto& s = State();
    std::lock_guard startLock(s.startMutex);
    if (s.running.load())
        return s.path;
    std::string dir;
    const std::string path = ResolvePath(options, dir);
    if (!dir.empty())
        if (auto ok = PrepareDirectory(dir); !ok)
            return std::unexpected(ok.error());
    auto fd = BindSocket(path);
    if (!fd)
        return std::unexpected(fd.error());
    const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake < 0) {
        ::close(*fd);
        ::unlink(path.c_str());
        return std::unexpected(EndpointFailure(ErrnoText("eventfd")));
    }
    if (!s.hooksInstalled) {
        ::pthread_atfork(ForkPrepare, ForkParent, ForkChild);
        std::atexit(AtExit);
        s.hooksInstalled = true;
    }
    if (options.processName.empty())
        options.processName = s.processName;
    if (!options.audit)
        options.audit = std::make_shared<JsonLinesAuditSink>(std::clog);
    EndpointServer::Config config;
    config.listenFd = *fd;
    config.wakeFd = wake;
    config.path = path;
    config.facts = ReadProcessFacts(options.processName);
    config.options = std::move(options);
    s.wakeFd = wake;
    s.wakePending.store(false);
    s.server = new EndpointServer(std::move(config));
    s.path = path;
    s.ownerPid = ::getpid();
    {
        auto& d = Dir();
        std::lock_guard lock(d.mutex);
        for (RegistryCore* r : d.all)
            ExposeLocked(d, *r);
        s.running.store(true);
    }
    s.thread = new std::thread([server = s.server] { server->Run(); });
    return path;
}

void Stop() {
    using namespace detail;
    auto& s = State();
    std::lock_guard startLock(s.startMutex);
    if (!s.running.load() || s.ownerPid != ::getpid())
        return;
    s.server->RequestStop();
    WakeEndpoint();
    s.thread->join();
    delete s.thread;
    s.thread = nullptr;
    {
        auto& d = Dir();
        std::lock_guard lock(d.mutex);
        UnexposeAllLocked(d);
        s.running.store(false);
    }
    delete s.server; // closes the listening socket
    s.server = nullptr;
    ::unlink(s.path.c_str());
    ::close(s.wakeFd);
    s.wakeFd = -1;
    s.path.clear();
}

bool Running() {
    return detail::State().running.load();
}

std::string SocketPath() {
    auto& s = detail::State();
    std::lock_guard lock(s.startMutex);
    return s.path;
}

void SetProcessName(std::string name) {
    auto& s = detail::State();
    std::lock_guard lock(s.startMutex);
    s.processName = name;
    if (s.server)
        s.server->SetProcessName(std::move(name));
}

std::size_t ClientCount() {
    auto& s = detail::State();
    std::lock_guard lock(s.startMutex);
    return s.server ? s.server->Clients() : 0;
}

} // namespace debug

namespace detail {

ProcessFacts ReadProcessFacts(const std::string& processName) {
    ProcessFacts f;
    f.pid = ::getpid();
    f.uid = ::getuid();
    char buf[4096];
    if (const auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1); n > 0)
        f.exe.assign(buf, static_cast<std::size_t>(n));
    {
        std::ifstream in("/proc/self/cmdline", std::ios::binary);
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::size_t start = 0;
        for (std::size_t i = 0; i < all.size(); ++i)
            if (all[i] == '\0') {
                f.argv.push_back(all.substr(start, i - start));
                start = i + 1;
            }
    }
    // Start time: field 22 of /proc/self/stat (ticks after boot) + btime of /proc/stat.
    {
        std::ifstream in("/proc/self/stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto close = stat.rfind(')');
        std::istringstream rest(close == std::string::npos ? std::string()
                                                           : stat.substr(close + 2));
        std::string field;
        unsigned long long ticks = 0;
        for (int i = 3; i <= 22 && rest >> field; ++i)
            if (i == 22)
                ticks = std::strtoull(field.c_str(), nullptr, 10);
        std::ifstream ps("/proc/stat");
        std::string line;
        long long btime = 0;
        while (std::getline(ps, line))
            if (line.starts_with("btime "))
                btime = std::atoll(line.c_str() + 6);
        const long hz = ::sysconf(_SC_CLK_TCK);
        if (btime > 0 && hz > 0)
            f.startTimeMs = btime * 1000 + static_cast<long long>(ticks) * 1000 / hz;
    }
    f.processName = processName;
    if (f.processName.empty()) {
        const auto slash = f.exe.rfind('/');
        f.processName = slash == std::string::npos ? f.exe : f.exe.substr(slash + 1);
    }
    return f;
}

} // namespace detail

} // namespace regscope::registry
