#include "connectors/inprocess/DemoRegistry.h"

#include "models/registry/Registry.h"

#include <QUrlQuery>

#include <chrono>
#include <random>
#include <string>
#include <vector>

using namespace Qt::StringLiterals;
namespace reg = regscope::registry;

namespace regscope {

namespace {

// What the demo registers: the implementation carries nothing but its identity.
struct Component {
    virtual ~Component() = default;
    std::string id;
};

struct Item {
    const char* tenant;
    const char* name;
    const char* version;
    const char* kind;
    const char* description;
    bool deprecated = false;
    const char* deprecationMessage = "";
    const char* removeAfter = "";
};

// clang-format off
const Item kCatalogue[] = {
    {"", "gzip", "1.2.13", "codec", "DEFLATE stream compression (zlib-compatible)"},
    {"", "gzip", "1.3.0", "codec", "DEFLATE stream compression, SIMD crc32"},
    {"", "zstd", "1.5.2", "codec", "Zstandard, fast lossless compression"},
    {"", "zstd", "1.5.5", "codec", "Zstandard with long-distance matching"},
    {"", "lz4", "1.9.4", "codec", "LZ4 frame format, very fast"},
    {"", "brotli", "1.0.9", "codec", "Brotli, web content compression"},
    {"", "brotli", "1.1.0", "codec", "Brotli with large windows"},
    {"", "snappy", "1.1.10", "codec", "Snappy block compression"},
    {"", "h264", "2.1.0", "codec", "H.264/AVC video decoder"},
    {"", "h265", "1.0.0-rc.2", "codec", "H.265/HEVC video decoder (release candidate)"},
    {"", "opus", "1.4.0", "codec", "Opus audio codec"},
    {"", "flac", "1.4.3", "codec", "Free lossless audio codec"},
    {"", "png", "1.6.40", "codec", "PNG image codec"},
    {"", "jpeg", "2.1.5", "codec", "libjpeg-turbo 2 image codec"},
    {"", "jpeg", "3.0.1", "codec", "libjpeg-turbo 3 image codec"},
    {"", "lzo", "2.10.0", "codec", "LZO real-time compression", true, "use lz4", "2027-06"},
    {"", "postgres", "14.10.0", "driver", "PostgreSQL wire protocol driver"},
    {"", "postgres", "15.5.0", "driver", "PostgreSQL wire protocol driver, SCRAM"},
    {"", "postgres", "16.1.0", "driver", "PostgreSQL wire protocol driver, pipelining"},
    {"", "mysql", "8.0.35", "driver", "MySQL protocol driver"},
    {"", "sqlite", "3.44.2", "driver", "Embedded SQLite driver"},
    {"", "redis", "7.2.3", "driver", "RESP3 Redis driver"},
    {"", "kafka", "3.6.0", "driver", "Kafka producer/consumer driver"},
    {"", "s3", "2.21.0", "driver", "S3-compatible object storage driver"},
    {"", "nats", "2.10.5", "driver", "NATS messaging driver"},
    {"", "memcached", "1.6.21", "driver", "memcached text protocol driver", true,
     "use redis", "2.0"},
    {"", "dns", "1.4.0", "resolver", "System DNS resolver (A/AAAA/SRV)"},
    {"", "consul", "1.17.0", "resolver", "Consul catalog resolver"},
    {"", "etcd", "3.5.10", "resolver", "etcd v3 prefix resolver"},
    {"", "k8s", "1.28.4", "resolver", "Kubernetes endpoints resolver"},
    {"", "static", "1.0.0", "resolver", "Static address list"},
    {"", "mdns", "0.9.0-beta.1", "resolver", "Multicast DNS resolver (beta)"},
    {"acme", "postgres", "16.2.0-acme.1", "driver", "ACME's patched PostgreSQL driver"},
    {"acme", "s3", "3.0.0-rc.1", "driver", "ACME's S3 driver with object lock"},
    {"acme", "ledger", "1.2.0", "driver", "ACME ledger store"},
    {"acme", "ledger", "1.3.0", "driver", "ACME ledger store, batched appends"},
    {"acme", "vault", "0.8.1", "resolver", "ACME Vault secret resolver"},
    {"globex", "zstd", "1.5.6", "codec", "Globex's zstd with dictionaries"},
    {"globex", "geo", "2.0.0", "resolver", "Globex geo-aware resolver"},
    {"globex", "geo", "2.1.0", "resolver", "Globex geo-aware resolver, zone affinity"},
    {"globex", "telemetry", "0.3.0", "codec", "Globex telemetry frame codec"},
};

struct AliasItem {
    const char* tenant;
    const char* alias;
    const char* target;
    const char* message;
    const char* removeAfter;
};

const AliasItem kAliases[] = {
    {"", "zlib", "gzip", "zlib is now gzip", "3.0"},
    {"", "postgresql", "postgres", "use postgres", "2027-01"},
    {"", "pg", "postgres", "use postgres", "2027-01"},
    {"", "kube", "k8s", "use k8s", "2026-12"},
    {"", "x264", "h264", "use h264", "2026-12"},
    {"acme", "acme-ledger", "ledger", "tenant prefix dropped", "2027-03"},
};
// clang-format on

// Never looked up by the workload, so they go quiet and become "safe to remove".
const char* const kQuietAliases[] = {"kube", "x264", "acme-ledger"};
const char* const kLookedUpDeprecated[] = {"zlib", "postgresql", "pg", "lzo", "memcached"};
const char* const kUnknown[] = {"protobuf", "avro", "oracle", "zookeeper", "cassandra", "avif"};
const char* const kConstraints[] = {"", "", "", "", "", "", "*", ">=0.1", "^1"};

reg::Context contextFor(const std::string& tenant) {
    return tenant.empty() ? reg::Context::Global() : reg::Context::Tenant(tenant);
}

std::shared_ptr<Component> component(const std::string& id) {
    auto c = std::make_shared<Component>();
    c->id = id;
    return c;
}

} // namespace

struct DemoRegistry::Impl {
    Options options;
    std::shared_ptr<reg::Registry<Component>> registry;
    std::thread worker;
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;

    std::vector<reg::Registration<Component>> baseSet() const {
        std::vector<reg::Registration<Component>> set;
        for (const Item& i : kCatalogue) {
            reg::EntryInfo info{i.kind,       i.description,        "demo",
                                i.deprecated, i.deprecationMessage, i.removeAfter};
            set.push_back({i.tenant, i.name, i.version,
                           component(std::string(i.name) + "@" + i.version), std::move(info)});
        }
        return set;
    }
    static std::vector<reg::TenantAlias> aliases() {
        std::vector<reg::TenantAlias> out;
        for (const AliasItem& a : kAliases)
            out.push_back({a.tenant, {a.alias, a.target, a.message, a.removeAfter}});
        return out;
    }
    void fill() {
        auto report = registry->Reload(reg::Context::Global(), baseSet(), aliases());
        Q_ASSERT(report.has_value());
    }
    void run();
};

DemoRegistry::DemoRegistry()
    : DemoRegistry(Options{}) {}

DemoRegistry::DemoRegistry(Options options)
    : d(std::make_unique<Impl>()) {
    d->options = options;
    reg::RegistryOptions ro;
    ro.typeName = "component";
    ro.audit = std::make_shared<reg::NullAuditSink>();
    ro.latencySampleEvery = 8;
    d->registry = std::make_shared<reg::Registry<Component>>(std::move(ro));
    d->fill();
}

DemoRegistry::~DemoRegistry() {
    stopWorkload();
}

std::shared_ptr<registry::RegistryCore> DemoRegistry::registry() const {
    return d->registry;
}

QStringList DemoRegistry::quietAliases() {
    QStringList out;
    for (const char* a : kQuietAliases)
        out << QString::fromLatin1(a);
    return out;
}

int DemoRegistry::entryCount() {
    return int(std::size(kCatalogue) + std::size(kAliases));
}

bool DemoRegistry::parseUrl(const QString& url, Options* options, QString* error) {
    const qsizetype q = url.indexOf(u'?');
    if (url.left(q) != u"demo") {
        *error = u"not a demo URL: %1"_s.arg(url);
        return false;
    }
    if (q < 0)
        return true;
    const QUrlQuery query(url.sliced(q + 1));
    for (const auto& [key, value] : query.queryItems()) {
        bool ok = false;
        const int n = value.toInt(&ok);
        if (!ok || n < 0) {
            *error = u"demo option %1 wants a non-negative integer, not '%2'"_s.arg(key, value);
            return false;
        }
        if (key == u"rate")
            options->lookupsPerSecond = n;
        else if (key == u"reload")
            options->reloadEverySeconds = n;
        else if (key == u"churn")
            options->churnEverySeconds = n;
        else if (key == u"seed")
            options->seed = unsigned(n);
        else {
            *error = u"unknown demo option '%1' (rate, reload, churn, seed)"_s.arg(key);
            return false;
        }
    }
    return true;
}

void DemoRegistry::startWorkload() {
    std::lock_guard lock(d->mutex);
    if (d->worker.joinable())
        return;
    d->stopping = false;
    d->worker = std::thread([impl = d.get()] { impl->run(); });
}

void DemoRegistry::stopWorkload() {
    {
        std::lock_guard lock(d->mutex);
        d->stopping = true;
    }
    d->wake.notify_all();
    if (d->worker.joinable())
        d->worker.join();
}

void DemoRegistry::Impl::run() {
    using Clock = std::chrono::steady_clock;
    std::mt19937 rng(options.seed);
    auto pick = [&rng](auto& array) -> const auto& {
        return array[std::uniform_int_distribution<size_t>(0, std::size(array) - 1)(rng)];
    };
    auto typo = [&rng](std::string s) {
        if (s.size() < 3)
            return s + "s";
        const size_t i = std::uniform_int_distribution<size_t>(0, s.size() - 2)(rng);
        switch (rng() % 3) {
        case 0:
            std::swap(s[i], s[i + 1]); // transposition: "gzpi"
            break;
        case 1:
            s.erase(i, 1); // dropped letter: "zsd"
            break;
        default:
            s.insert(i, 1, s[i]); // doubled letter: "reddis"
            break;
        }
        return s;
    };
    const std::string tenants[] = {"", "", "", "acme", "globex"};
    const auto tick = std::chrono::milliseconds(10);
    auto next = Clock::now();
    const auto started = next;
    int reloads = 0;
    int churns = 0;
    double budget = 0;
    for (;;) {
        budget += options.lookupsPerSecond / 100.0;
        for (; budget >= 1; budget -= 1) {
            const unsigned r = rng() % 100;
            const Item& item = pick(kCatalogue);
            // Tenant entries are looked up by their tenant; global ones by anyone.
            const reg::Context ctx = contextFor(*item.tenant ? item.tenant : pick(tenants));
            if (r < 80) {
                (void)registry->Lookup(ctx, item.name, pick(kConstraints));
            } else if (r < 86) {
                (void)registry->Lookup(ctx, typo(item.name));
            } else if (r < 89) {
                (void)registry->Lookup(ctx, pick(kUnknown));
            } else if (r < 96) {
                (void)registry->Lookup(ctx, pick(kLookedUpDeprecated));
            } else if (r < 98) {
                (void)registry->Lookup(ctx, item.name, ">=99");
            } else {
                (void)registry->Lookup(ctx, rng() % 2 ? "bad name" : "gzip", "^^1");
            }
        }
        const qint64 elapsedMs =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
        // The first one after min(firstS, period), then one every period.
        const auto due = [elapsedMs](int periodS, int firstS, int done) {
            if (periodS <= 0)
                return false;
            return elapsedMs >=
                   qint64(std::min(periodS, firstS)) * 1000 + qint64(done) * periodS * 1000;
        };
        if (due(options.reloadEverySeconds, 5, reloads)) {
            ++reloads;
            // A new build of the set: zstd gains a beta, an old gzip goes, then comes back.
            auto set = baseSet();
            if (reloads % 2) {
                std::erase_if(
                    set, [](const auto& r) { return r.name == "gzip" && r.version == "1.2.13"; });
                set.push_back({"",
                               "zstd",
                               "1.6.0-beta.1",
                               component("zstd@1.6.0-beta.1"),
                               {"codec", "Zstandard next (beta)", "demo"}});
            }
            (void)registry->Reload(reg::Context::Global(), std::move(set), aliases());
        }
        if (due(options.churnEverySeconds, 1, churns)) {
            ++churns;
            switch (churns % 3) {
            case 1:
                (void)registry->Register(reg::Context::Tenant("globex"), "webp", "1.3.2",
                                         component("webp@1.3.2"),
                                         {"codec", "WebP image codec", "demo"});
                break;
            case 2:
                (void)registry->Register("gzip", "1.3.0", component("dup")); // Duplicate
                break;
            default:
                (void)registry->Deregister(reg::Context::Tenant("globex"), "webp", "1.3.2");
                break;
            }
        }
        next += tick;
        std::unique_lock lock(mutex);
        if (wake.wait_until(lock, next, [this] { return stopping; }))
            break;
    }
    registry->ReleaseThreadCache();
}

} // namespace regscope
