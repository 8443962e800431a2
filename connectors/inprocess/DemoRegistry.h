#pragma once
// The embedded demo: a registry in regscope's own process, filled with realistic entries
// (codecs, drivers, resolvers with versions, two tenants, aliases of deprecated names), and a
// workload thread that looks names up at a configurable rate — hits, misses (typos of real
// names, unknown names, unmet version constraints), invalid names, deprecated aliases — and now
// and then hot-reloads, registers, deregisters or gets a registration rejected.

#include <QString>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace regscope::registry {
class RegistryCore;
}

namespace regscope {

class DemoRegistry {
public:
    struct Options {
        int lookupsPerSecond = 2000;
        int reloadEverySeconds = 8; // 0: never
        int churnEverySeconds = 3;  // register/deregister/reject something; 0: never
        unsigned seed = 42;
    };

    explicit DemoRegistry(Options options);
    DemoRegistry();
    ~DemoRegistry(); // stops the workload

    // Options from a `demo?rate=N&reload=S&churn=S&seed=N` URL; false (+ error) if malformed.
    static bool parseUrl(const QString& url, Options* options, QString* error);

    std::shared_ptr<registry::RegistryCore> registry() const;
    void startWorkload();
    void stopWorkload();

    // The names the workload never looks up (to watch "safe to remove" appear).
    static QStringList quietAliases();
    static int entryCount();

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace regscope
