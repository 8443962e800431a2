#pragma once
// Helpers shared by the registry library tests (tst_registry, tst_registry_metrics).

#include "models/registry/Registry.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <vector>

using namespace regscope::registry;
using namespace std::chrono_literals;

namespace regscope_test {

inline std::string S(const QByteArray& b) {
    return b.toStdString();
}
inline std::string J(const nlohmann::json& j, const char* key) {
    return j.contains(key) ? j[key].get<std::string>() : std::string("<missing>");
}

struct Impl {
    std::string id; // "name@version" of the registration, to check what a lookup returned
    std::function<void()> onDestroy;
    explicit Impl(std::string i, std::function<void()> d = {})
        : id(std::move(i))
        , onDestroy(std::move(d)) {}
    ~Impl() {
        if (onDestroy)
            onDestroy();
    }
};

class CapturingSink final : public AuditSink {
public:
    void Record(const AuditRecord& r) override {
        const auto line = ToJsonLine(r);
        std::lock_guard lock(mutex);
        lines.push_back(line);
        records.push_back(nlohmann::json::parse(line)); // must be valid JSON
    }
    std::vector<nlohmann::json> Take() {
        std::lock_guard lock(mutex);
        lines.clear();
        return std::exchange(records, {});
    }
    std::mutex mutex;
    std::vector<std::string> lines;
    std::vector<nlohmann::json> records;
};

class RecordingObserver final : public Observer {
public:
    void OnChange(const ChangeEvent& e) override {
        std::lock_guard lock(mutex);
        events.push_back(e);
    }
    std::vector<ChangeEvent> Take() {
        std::lock_guard lock(mutex);
        return std::exchange(events, {});
    }
    std::mutex mutex;
    std::vector<ChangeEvent> events;
};

const auto kFixedTime = std::chrono::system_clock::time_point(std::chrono::seconds(1'790'000'000));

inline RegistryOptions Quiet(std::shared_ptr<AuditSink> sink = std::make_shared<NullAuditSink>()) {
    RegistryOptions o;
    o.typeName = "codec";
    o.audit = std::move(sink);
    o.clock = [] { return kFixedTime; };
    o.missSampleEvery = 1; // exact most-missed counts (the default samples 1 in 64)
    return o;
}

inline std::shared_ptr<Impl> Make(const std::string& id) {
    return std::make_shared<Impl>(id);
}

// The fixture: names with several versions, a pre-release, a deprecated entry.
struct FixtureRow {
    const char* name;
    const char* version;
};
constexpr FixtureRow kFixture[] = {
    {"gzip", "1.0.0"},        {"gzip", "1.4.2"},
    {"gzip", "2.0.0"},        {"gzip", "2.1.0"},
    {"gzip", "3.0.0-beta.1"}, {"zstd", "0.2.3"},
    {"zstd", "0.3.0"},        {"lz4", "1.9.4"},
    {"brotli", "1.1.0"},      {"snappy", "1.2.0"},
    {"snappy", "1.2.1"},      {"only-beta", "0.1.0-rc.1"},
    {"json.codec", "10.0.0"}, {"legacy-deflate", "0.9.0"},
};

inline void Fill(Registry<Impl>& reg) {
    for (const auto& row : kFixture) {
        EntryInfo info{.kind = "compression",
                       .description = std::string("codec ") + row.name,
                       .origin = "fixture"};
        if (std::string_view(row.name) == "legacy-deflate")
            info = EntryInfo{.kind = "compression",
                             .description = "old",
                             .origin = "fixture",
                             .deprecated = true,
                             .deprecationMessage = "use gzip",
                             .removeAfter = "2027-01-01"};
        auto ok = reg.Register(row.name, row.version,
                               Make(std::string(row.name) + '@' + row.version), info);
        QVERIFY(ok.has_value());
    }
}

inline std::optional<std::string> LookupId(Registry<Impl>& reg, const Context& ctx,
                                           const std::string& name,
                                           const std::string& constraint = "*") {
    auto h = reg.Lookup(ctx, name, constraint);
    if (!h)
        return std::nullopt;
    return (*h)->id;
}

inline std::uint64_t CountOf(const std::vector<NameCount>& v, const std::string& name) {
    for (const auto& nc : v)
        if (nc.name == name)
            return nc.count;
    return 0;
}

} // namespace regscope_test

using namespace regscope_test;
