// regscope-demo-host: the demo registry in a process of its own, to attach to.
//
//   regscope-demo-host [--plugins DIR] [--rate LOOKUPS_PER_S] [--name NAME] [--socket PATH]
//
// Embeds the registry library, dlopens every good demo plugin of DIR (all *.so but the
// fault_* ones, which would crash it on purpose) so that each registers its implementations
// into the "plugin" registry (registeredBy: the plugin's .so), runs the demo workload on the
// "component" registry, and serves the debug endpoint. Prints the pid and the socket path,
// then runs until SIGINT/SIGTERM (the socket is removed on the way out).

#include "connectors/inprocess/DemoRegistry.h"
#include "models/registry/DebugEndpoint.h"
#include "models/registry/Registry.h"
#include "regscope_plugin.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <iostream>
#include <memory>
#include <signal.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace reg = regscope::registry;

namespace {

struct PluginImpl {
    std::string plugin;
    regscope_process_fn process = nullptr;
};

struct HostContext {
    reg::Registry<PluginImpl>* registry = nullptr;
    std::string pluginPath;
    std::string pluginName;
};

// The host table's register_impl: called by the plugin's init(), so our caller's address lies
// in the plugin's code; dladdr on it names the plugin's shared object.
int RegisterImpl(const regscope_host* host, const regscope_impl* impl) {
    auto* ctx = static_cast<HostContext*>(host->host_ctx);
    if (!impl || !impl->name || !impl->version)
        return 1;
    auto p = std::make_shared<PluginImpl>();
    p->plugin = ctx->pluginName;
    p->process = impl->process;
    reg::EntryInfo info;
    info.kind = impl->kind ? impl->kind : "";
    info.description = impl->description ? impl->description : "";
    info.origin = ctx->pluginPath;
    info.registeredBy = reg::SharedObjectOf(__builtin_return_address(0));
    return ctx->registry->Register(impl->name, impl->version, std::move(p), std::move(info)) ? 0
                                                                                             : 1;
}

void Log(const regscope_host*, const char* message) {
    std::cerr << "plugin: " << (message ? message : "") << "\n";
}

std::vector<std::string> GoodPlugins(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const auto name = e.path().filename().string();
        if (e.path().extension() == ".so" && !name.starts_with("fault_"))
            out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

void LoadPlugin(const std::string& path, reg::Registry<PluginImpl>& registry) {
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        std::cerr << "regscope-demo-host: " << ::dlerror() << "\n";
        return;
    }
    auto entry =
        reinterpret_cast<regscope_plugin_entry_fn>(::dlsym(handle, REGSCOPE_PLUGIN_ENTRY_SYMBOL));
    if (!entry) {
        std::cerr << "regscope-demo-host: " << path << " is a plain library (no entry point)\n";
        return; // stays loaded: it is part of the picture
    }
    const regscope_plugin_descriptor* d = entry();
    if (!d || d->abi_version != REGSCOPE_PLUGIN_ABI_VERSION || !d->init) {
        std::cerr << "regscope-demo-host: " << path << ": unsupported plugin ABI\n";
        return;
    }
    // Lives as long as the process (the plugin may keep the host table), owned here so that
    // nothing is leaked at exit.
    struct Loaded {
        std::unique_ptr<HostContext> ctx;
        std::unique_ptr<regscope_host> host;
    };
    static std::vector<Loaded> loaded;
    auto& l = loaded.emplace_back();
    l.ctx = std::make_unique<HostContext>(HostContext{&registry, path, d->name ? d->name : path});
    l.host = std::make_unique<regscope_host>(
        regscope_host{REGSCOPE_PLUGIN_ABI_VERSION, l.ctx.get(), RegisterImpl, Log});
    regscope_host* host = l.host.get();
    if (d->init(host) != 0)
        std::cerr << "regscope-demo-host: " << path << ": init failed\n";
}

std::string Arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == name)
            return argv[i + 1];
    return fallback;
}

} // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::string(argv[i]) == "--help") {
            std::cout << "usage: regscope-demo-host [--plugins DIR] [--rate N] [--name NAME] "
                         "[--socket PATH]\n";
            return 0;
        }
    // Block the stop signals before any thread starts, so only sigwait below sees them.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);

    reg::Registry<PluginImpl> plugins(
        {.typeName = "plugin", .audit = std::make_shared<reg::NullAuditSink>()});
    const std::string dir = Arg(argc, argv, "--plugins", REGSCOPE_DEMO_PLUGIN_DIR);
    for (const auto& path : GoodPlugins(dir))
        LoadPlugin(path, plugins);

    regscope::DemoRegistry::Options demo;
    demo.lookupsPerSecond = std::atoi(Arg(argc, argv, "--rate", "2000").c_str());
    regscope::DemoRegistry workload(demo);

    reg::debug::EndpointOptions eo;
    eo.processName = Arg(argc, argv, "--name", "regscope-demo-host");
    eo.socketPath = Arg(argc, argv, "--socket", "");
    auto path = reg::debug::Start(eo);
    if (!path) {
        std::cerr << "regscope-demo-host: " << path.error().message << "\n";
        return 1;
    }
    workload.startWorkload();
    std::cout << "regscope-demo-host: pid " << ::getpid() << ", " << plugins.Names().size()
              << " plugin implementations, socket " << *path << "\n"
              << "attach with: regscope --connect pid://" << ::getpid() << std::endl;

    int sig = 0;
    sigwait(&stop, &sig);
    workload.stopWorkload();
    reg::debug::Stop();
    return 0;
}
