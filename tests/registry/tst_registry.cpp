// The registry library's rules (issue 2 §2), one test per rule, table-driven where a table fits.

#include "models/registry/Registry.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <thread>

using namespace regscope::registry;
using namespace std::chrono_literals;

namespace {

std::string S(const QByteArray& b) {
    return b.toStdString();
}
std::string J(const nlohmann::json& j, const char* key) {
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

RegistryOptions Quiet(std::shared_ptr<AuditSink> sink = std::make_shared<NullAuditSink>()) {
    RegistryOptions o;
    o.typeName = "codec";
    o.audit = std::move(sink);
    o.clock = [] { return kFixedTime; };
    o.missSampleEvery = 1; // exact most-missed counts (the default samples 1 in 32)
    return o;
}

std::shared_ptr<Impl> Make(const std::string& id) {
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

void Fill(Registry<Impl>& reg) {
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

std::optional<std::string> LookupId(Registry<Impl>& reg, const Context& ctx,
                                    const std::string& name, const std::string& constraint = "*") {
    auto h = reg.Lookup(ctx, name, constraint);
    if (!h)
        return std::nullopt;
    return (*h)->id;
}

std::uint64_t CountOf(const std::vector<NameCount>& v, const std::string& name) {
    for (const auto& nc : v)
        if (nc.name == name)
            return nc.count;
    return 0;
}

} // namespace

class TestRegistry : public QObject {
    Q_OBJECT

private slots:
    // --- Register / Lookup ------------------------------------------------------------------
    void lookup_data() {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<QByteArray>("constraint");
        QTest::addColumn<QByteArray>("expected"); // impl id, or empty on error
        QTest::addColumn<int>("error");           // ErrorCode when expected is empty
        auto hit = [](const char* n, const char* c, const char* id) {
            QTest::addRow("%s %s", n, c) << QByteArray(n) << QByteArray(c) << QByteArray(id) << -1;
        };
        auto err = [](const char* n, const char* c, ErrorCode code) {
            QTest::addRow("%s %s -> error", n, c)
                << QByteArray(n) << QByteArray(c) << QByteArray() << int(code);
        };
        hit("gzip", "", "gzip@2.1.0"); // highest release, not the beta
        hit("gzip", "*", "gzip@2.1.0");
        hit("gzip", "^2.0", "gzip@2.1.0");
        hit("gzip", "^1.2", "gzip@1.4.2");
        hit("gzip", "~1.4", "gzip@1.4.2");
        hit("gzip", "1.0.0", "gzip@1.0.0");
        hit("gzip", ">=1.2 <2", "gzip@1.4.2");
        hit("gzip", "<2", "gzip@1.4.2");
        hit("gzip", ">=3.0.0-beta", "gzip@3.0.0-beta.1");
        hit("gzip", "^1 || ^2", "gzip@2.1.0");
        hit("zstd", "^0.2", "zstd@0.2.3");
        hit("zstd", "", "zstd@0.3.0");
        hit("only-beta", "", "only-beta@0.1.0-rc.1"); // nothing but pre-releases: the highest
        hit("snappy", "~1.2.0", "snappy@1.2.1");
        hit("json.codec", "10", "json.codec@10.0.0");
        err("gzip", "^4", ErrorCode::NoMatchingVersion);
        err("gzip", "<1", ErrorCode::NoMatchingVersion);
        err("nope", "", ErrorCode::NotFound);
        err("Gzip", "", ErrorCode::NotFound); // names are case-sensitive
        err("", "", ErrorCode::InvalidName);
        err("has space", "", ErrorCode::InvalidName);
        err("gzip", ">=", ErrorCode::InvalidConstraint);
    }
    void lookup() {
        QFETCH(QByteArray, name);
        QFETCH(QByteArray, constraint);
        QFETCH(QByteArray, expected);
        QFETCH(int, error);
        Registry<Impl> reg(Quiet());
        Fill(reg);
        auto h = reg.Lookup(Context{}, S(name), S(constraint));
        if (expected.isEmpty()) {
            QVERIFY(!h.has_value());
            QCOMPARE(int(h.error().code), error);
        } else {
            QVERIFY(h.has_value());
            QCOMPARE(QByteArray::fromStdString((*h)->id), expected);
            QCOMPARE(QByteArray::fromStdString(h->Name() + '@' + h->VersionText()), expected);
        }
    }

    void everyFixtureEntryIsFoundExactly() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        const auto snap = reg.Snapshot();
        QCOMPARE(snap.size(), std::size(kFixture));
        for (const auto& e : snap) {
            auto h = reg.Lookup(Context{}, e.name, "=" + e.version);
            QVERIFY2(h.has_value(), e.name.c_str());
            QCOMPARE((*h)->id, e.name + '@' + e.version);
            QCOMPARE(h->Info().origin, std::string("fixture"));
            QVERIFY(!h->ViaAlias());
        }
        for (const auto& row : kFixture)
            QVERIFY(std::ranges::any_of(snap, [&](const SnapshotEntry& e) {
                return e.name == row.name && e.version == row.version && e.type == "codec" &&
                       e.registeredAt == kFixedTime;
            }));
    }

    void registerErrors_data() {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<QByteArray>("version");
        QTest::addColumn<bool>("null");
        QTest::addColumn<int>("error");
        QTest::newRow("duplicate")
            << QByteArray("gzip") << QByteArray("2.1.0") << false << int(ErrorCode::Duplicate);
        QTest::newRow("duplicate, build metadata ignored")
            << QByteArray("gzip") << QByteArray("2.1.0+other") << false
            << int(ErrorCode::Duplicate);
        QTest::newRow("null") << QByteArray("fresh") << QByteArray("1.0.0") << true
                              << int(ErrorCode::NullImplementation);
        QTest::newRow("empty name")
            << QByteArray("") << QByteArray("1.0.0") << false << int(ErrorCode::InvalidName);
        QTest::newRow("control char")
            << QByteArray("a\tb") << QByteArray("1.0.0") << false << int(ErrorCode::InvalidName);
        QTest::newRow("too long") << QByteArray(300, 'x') << QByteArray("1.0.0") << false
                                  << int(ErrorCode::InvalidName);
        QTest::newRow("bad version")
            << QByteArray("fresh") << QByteArray("1.0") << false << int(ErrorCode::InvalidVersion);
        QTest::newRow("alias name")
            << QByteArray("zlib") << QByteArray("1.0.0") << false << int(ErrorCode::AliasConflict);
    }
    void registerErrors() {
        QFETCH(QByteArray, name);
        QFETCH(QByteArray, version);
        QFETCH(bool, null);
        QFETCH(int, error);
        Registry<Impl> reg(Quiet());
        Fill(reg);
        QVERIFY(reg.AddAlias({}, {.alias = "zlib", .target = "gzip"}).has_value());
        const auto before = reg.Snapshot().size();
        auto r = reg.Register(S(name), S(version), null ? nullptr : Make("x"));
        QVERIFY(!r.has_value());
        QCOMPARE(int(r.error().code), error);
        QCOMPARE(reg.Snapshot().size(), before);
        QCOMPARE(reg.Metrics().registerTotal.at(std::string(ToString(ErrorCode(error)))), 1u);
    }

    void deregister() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        QVERIFY(reg.Deregister({}, "gzip", "2.1.0").has_value());
        QCOMPARE(LookupId(reg, {}, "gzip"), std::optional<std::string>("gzip@2.0.0"));
        auto again = reg.Deregister({}, "gzip", "2.1.0");
        QVERIFY(!again);
        QCOMPARE(again.error().code, ErrorCode::NotFound);
        QCOMPARE(reg.Deregister({}, "gzip", "x").error().code, ErrorCode::InvalidVersion);
        auto all = reg.DeregisterAll({}, "gzip");
        QVERIFY(all.has_value());
        QCOMPARE(*all, 4u); // 1.0.0, 1.4.2, 2.0.0, 3.0.0-beta.1 (2.1.0 went above)
        QCOMPARE(reg.Lookup("gzip").error().code, ErrorCode::NotFound);
    }

    void namesGolden() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        QVERIFY(reg.AddAlias({}, {.alias = "zlib", .target = "gzip"}).has_value()); // not a name
        QVERIFY(reg.Register(Context::Tenant("acme"), "acme-only", "1.0.0", Make("a")).has_value());
        std::string text;
        for (const auto& n : reg.Names())
            text += n + '\n';
        QFile golden(QStringLiteral(REGSCOPE_REGISTRY_TEST_DIR "/names.golden"));
        QVERIFY(golden.open(QIODevice::ReadOnly));
        QCOMPARE(QByteArray::fromStdString(text), golden.readAll());
        // A tenant sees its own names over the global ones.
        const auto acme = reg.Names(Context::Tenant("acme"));
        QCOMPARE(acme.size(), reg.Names().size() + 1);
        QVERIFY(std::ranges::binary_search(acme, std::string("acme-only")));
    }

    // --- tenants, quota, ACL -----------------------------------------------------------------
    void tenantsAreIsolated() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        const auto acme = Context::Tenant("acme");
        const auto globex = Context::Tenant("globex");
        QVERIFY(reg.Register(acme, "gzip", "9.0.0", Make("acme-gzip")).has_value());
        QVERIFY(reg.Register(acme, "secret", "1.0.0", Make("acme-secret")).has_value());
        // Override wins for the tenant, nobody else sees it.
        QCOMPARE(LookupId(reg, acme, "gzip"), std::optional<std::string>("acme-gzip"));
        QCOMPARE(LookupId(reg, globex, "gzip"), std::optional<std::string>("gzip@2.1.0"));
        QCOMPARE(LookupId(reg, {}, "gzip"), std::optional<std::string>("gzip@2.1.0"));
        QCOMPARE(reg.Lookup(globex, "secret").error().code, ErrorCode::NotFound);
        QCOMPARE(reg.Lookup(Context{}, "secret").error().code, ErrorCode::NotFound);
        QVERIFY(!reg.Contains(globex, "secret"));
        QVERIFY(reg.Contains(acme, "secret"));
        // A constraint the tenant's versions miss falls back to the global layer.
        QCOMPARE(LookupId(reg, acme, "gzip", "^1"), std::optional<std::string>("gzip@1.4.2"));
        // The tenant's own layer: a handle says where it came from.
        auto h = reg.Lookup(acme, "gzip");
        QVERIFY(h.has_value());
        QCOMPARE(h->Tenant(), std::string("acme"));
        // Deregistering in one tenant does not touch another's or the global entry.
        QCOMPARE(reg.Deregister(globex, "gzip", "9.0.0").error().code, ErrorCode::NotFound);
        QVERIFY(reg.Deregister(acme, "gzip", "9.0.0").has_value());
        QCOMPARE(LookupId(reg, acme, "gzip"), std::optional<std::string>("gzip@2.1.0"));
    }

    void tenantQuota() {
        auto opts = Quiet();
        opts.defaultTenantQuota = 2;
        Registry<Impl> reg(opts);
        const auto acme = Context::Tenant("acme");
        QVERIFY(reg.Register(acme, "a", "1.0.0", Make("1")).has_value());
        QVERIFY(reg.Register(acme, "a", "1.1.0", Make("2")).has_value());
        auto third = reg.Register(acme, "b", "1.0.0", Make("3"));
        QVERIFY(!third);
        QCOMPARE(third.error().code, ErrorCode::QuotaExceeded);
        // Other tenants and the global layer have their own counts.
        QVERIFY(reg.Register(Context::Tenant("globex"), "b", "1.0.0", Make("4")).has_value());
        for (int i = 0; i < 5; ++i)
            QVERIFY(reg.Register("g" + std::to_string(i), "1.0.0", Make("g")).has_value());
        // Freeing one makes room; a per-tenant setting overrides the default.
        QVERIFY(reg.Deregister(acme, "a", "1.0.0").has_value());
        QVERIFY(reg.Register(acme, "b", "1.0.0", Make("3")).has_value());
        reg.SetTenantQuota("acme", 3);
        QVERIFY(reg.Register(acme, "c", "1.0.0", Make("5")).has_value());
        QCOMPARE(reg.Register(acme, "d", "1.0.0", Make("6")).error().code,
                 ErrorCode::QuotaExceeded);
        // Reload honours quotas too.
        auto reload = reg.Reload({}, {{"acme", "x", "1.0.0", Make("x")},
                                      {"acme", "y", "1.0.0", Make("y")},
                                      {"acme", "z", "1.0.0", Make("z")},
                                      {"acme", "w", "1.0.0", Make("w")}});
        QVERIFY(!reload);
        QCOMPARE(reload.error().code, ErrorCode::ValidationFailed);
    }

    void accessCheck() {
        auto opts = Quiet();
        opts.accessCheck = RequireCapability("registry.write");
        Registry<Impl> reg(opts);
        auto denied = reg.Register(Context::Tenant("acme"), "a", "1.0.0", Make("a"));
        QVERIFY(!denied);
        QCOMPARE(denied.error().code, ErrorCode::PermissionDenied);
        QCOMPARE(reg.Register("a", "1.0.0", Make("a")).error().code, ErrorCode::PermissionDenied);
        QVERIFY(reg.Register(Context::Tenant("acme", {"registry.write"}), "a", "1.0.0", Make("a")));
        QVERIFY(
            reg.Lookup(Context::Tenant("acme"), "a").has_value()); // reading needs no capability
        auto reload = reg.Reload(Context{}, {{"", "b", "1.0.0", Make("b")}});
        QVERIFY(!reload);
        QCOMPARE(reload.error().code, ErrorCode::PermissionDenied);
        QVERIFY(reg.Reload(Context{"", {"registry.write"}}, {{"", "b", "1.0.0", Make("b")}}));
        QCOMPARE(reg.Metrics().registerTotal.at("permission_denied"), 2u);
        // A custom check sees the name and version.
        auto opts2 = Quiet();
        opts2.accessCheck = [](const Context&, std::string_view name, const Version& v) {
            return !name.starts_with("sys.") && v.major < 5;
        };
        Registry<Impl> reg2(opts2);
        QCOMPARE(reg2.Register("sys.x", "1.0.0", Make("x")).error().code,
                 ErrorCode::PermissionDenied);
        QCOMPARE(reg2.Register("x", "5.0.0", Make("x")).error().code, ErrorCode::PermissionDenied);
        QVERIFY(reg2.Register("x", "4.0.0", Make("x")).has_value());
    }

    // --- aliases, deprecation, audit -------------------------------------------------------
    void aliasesAndAudit() {
        auto sink = std::make_shared<CapturingSink>();
        Registry<Impl> reg(Quiet(sink));
        Fill(reg);
        sink->Take();
        QVERIFY(reg.AddAlias(
            {}, {.alias = "zlib", .target = "gzip", .message = "use gzip", .removeAfter = "3.0"}));
        QCOMPARE(reg.AddAlias({}, {.alias = "zlib", .target = "lz4"}).error().code,
                 ErrorCode::Duplicate);
        QCOMPARE(reg.AddAlias({}, {.alias = "lz4", .target = "gzip"}).error().code,
                 ErrorCode::AliasConflict);
        QCOMPARE(reg.AddAlias({}, {.alias = "x", .target = "nope"}).error().code,
                 ErrorCode::AliasTargetMissing);
        QCOMPARE(reg.AddAlias({}, {.alias = "y", .target = "zlib"}).error().code,
                 ErrorCode::AliasTargetMissing); // aliases do not chain
        auto audit = sink->Take();
        QCOMPARE(audit.size(), 5u);
        QCOMPARE(J(audit[0], "action"), std::string("alias_add"));
        QCOMPARE(J(audit[0], "outcome"), std::string("ok"));
        QCOMPARE(J(audit[0], "alias_of"), std::string("gzip"));
        QCOMPARE(J(audit[1], "outcome"), std::string("duplicate"));
        QCOMPARE(J(audit[2], "outcome"), std::string("alias_conflict"));
        QCOMPARE(J(audit[3], "outcome"), std::string("alias_target_missing"));

        for (int i = 0; i < 3; ++i) {
            auto h = reg.Lookup("zlib", "^1");
            QVERIFY(h.has_value());
            QVERIFY(h->ViaAlias());
            QCOMPARE((*h)->id, std::string("gzip@1.4.2"));
            QCOMPARE(h->Name(), std::string("gzip"));
        }
        QVERIFY(reg.Lookup("legacy-deflate").has_value()); // deprecated entry: counted and warned
        QVERIFY(reg.Lookup("gzip").has_value());           // not deprecated: silent
        audit = sink->Take();
        QCOMPARE(audit.size(), 4u);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(J(audit[i], "action"), std::string("deprecated_lookup"));
            QCOMPARE(J(audit[i], "outcome"), std::string("warning"));
            QCOMPARE(J(audit[i], "name"), std::string("zlib"));
            QCOMPARE(J(audit[i], "alias_of"), std::string("gzip"));
            QCOMPARE(J(audit[i], "version"), std::string("1.4.2"));
            QCOMPARE(J(audit[i], "detail"), std::string("use gzip"));
            QCOMPARE(J(audit[i], "remove_after"), std::string("3.0"));
            QCOMPARE(J(audit[i], "tenant"), std::string(""));
            QCOMPARE(J(audit[i], "time"), std::string("2026-09-21T14:13:20.000Z"));
        }
        QCOMPARE(J(audit[3], "name"), std::string("legacy-deflate"));
        QCOMPARE(J(audit[3], "detail"), std::string("use gzip"));
        QCOMPARE(J(audit[3], "remove_after"), std::string("2027-01-01"));
        const auto m = reg.Metrics();
        QCOMPARE(m.deprecatedLookupTotal.at("zlib"), 3u);
        QCOMPARE(m.deprecatedLookupTotal.at("legacy-deflate"), 1u);
        QCOMPARE(m.aliases, 1u);

        // Register / Deregister / rejects are audited with tenant, name, version, outcome.
        QVERIFY(reg.Register(Context::Tenant("acme"), "n", "1.0.0", Make("n")));
        QVERIFY(!reg.Register(Context::Tenant("acme"), "n", "1.0.0", Make("n")));
        QVERIFY(reg.Deregister(Context::Tenant("acme"), "n", "1.0.0"));
        QVERIFY(reg.RemoveAlias({}, "zlib"));
        QCOMPARE(reg.Lookup("zlib").error().code, ErrorCode::NotFound);
        audit = sink->Take();
        QCOMPARE(audit.size(), 4u);
        const std::string want[][3] = {{"register", "ok", "1.0.0"},
                                       {"register", "duplicate", "1.0.0"},
                                       {"deregister", "ok", "1.0.0"},
                                       {"alias_remove", "ok", ""}};
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(audit[i]["action"].get<std::string>(), want[i][0]);
            QCOMPARE(audit[i]["outcome"].get<std::string>(), want[i][1]);
            QCOMPARE(audit[i]["version"].get<std::string>(), want[i][2]);
            QVERIFY(audit[i].contains("time"));
        }
        QCOMPARE(J(audit[0], "tenant"), std::string("acme"));
        QCOMPARE(J(audit[0], "name"), std::string("n"));
    }

    void aliasInTenantResolvesThroughTenantLayer() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        QVERIFY(reg.AddAlias({}, {.alias = "zlib", .target = "gzip"}));
        const auto acme = Context::Tenant("acme");
        QVERIFY(reg.Register(acme, "gzip", "7.0.0", Make("acme-gzip")));
        QCOMPARE(LookupId(reg, acme, "zlib"), std::optional<std::string>("acme-gzip"));
        QCOMPARE(LookupId(reg, {}, "zlib"), std::optional<std::string>("gzip@2.1.0"));
        QVERIFY(reg.AddAlias(acme, {.alias = "fast", .target = "lz4"}));
        QCOMPARE(reg.Lookup(Context::Tenant("globex"), "fast").error().code, ErrorCode::NotFound);
        QCOMPARE(LookupId(reg, acme, "fast"), std::optional<std::string>("lz4@1.9.4"));
    }

    void jsonLinesSink() {
        std::vector<std::string> lines;
        JsonLinesAuditSink sink([&](const std::string& l) { lines.push_back(l); });
        Registry<Impl> reg(Quiet(std::shared_ptr<AuditSink>(&sink, [](AuditSink*) {})));
        QVERIFY(reg.Register("a\"b", "1.0.0", Make("x")).has_value());
        QVERIFY(!reg.Register("bad name", "1.0.0", Make("x")));
        QCOMPARE(lines.size(), 2u);
        for (const auto& l : lines) {
            QVERIFY(l.find('\n') == std::string::npos);
            const auto j = nlohmann::json::parse(l);
            for (const char* key : {"time", "action", "tenant", "name", "version", "outcome"})
                QVERIFY2(j.contains(key), key);
        }
        QCOMPARE(J(nlohmann::json::parse(lines[0]), "name"), std::string("a\"b"));
        QCOMPARE(J(nlohmann::json::parse(lines[1]), "outcome"), std::string("invalid_name"));
    }

    // --- metrics -----------------------------------------------------------------------------
    void metricsCounts() {
        auto opts = Quiet();
        opts.latencySampleEvery = 1; // time every lookup: counts become exact
        opts.missTopK = 8;
        Registry<Impl> reg(opts);
        Fill(reg);
        QVERIFY(!reg.Register("gzip", "1.0.0", Make("dup")));
        for (int i = 0; i < 10; ++i)
            QVERIFY(reg.Lookup("gzip").has_value());
        for (int i = 0; i < 4; ++i)
            QVERIFY(reg.Lookup("lz4", "^1").has_value());
        // Space-saving guarantees names missed more than N/K times (here 3001/8).
        for (int i = 0; i < 1000; ++i)
            QVERIFY(!reg.Lookup("often-missed"));
        QVERIFY(!reg.Lookup("gzip", "^9")); // a miss too (no matching version)
        QVERIFY(!reg.Lookup("gzip", "!!")); // an error
        QVERIFY(!reg.Lookup(""));           // an error
        // A flood of distinct missing names cannot grow the miss table beyond K.
        for (int i = 0; i < 2000; ++i)
            QVERIFY(!reg.Lookup("random-" + std::to_string(i)));
        const auto m = reg.Metrics();
        QCOMPARE(m.entries, std::size(kFixture));
        QCOMPARE(m.lookupHit, 14u);
        QCOMPARE(m.lookupMiss, 3001u);
        QCOMPARE(m.lookupError, 2u);
        QCOMPARE(m.registerTotal.at("ok"), std::size(kFixture));
        QCOMPARE(m.registerTotal.at("duplicate"), 1u);
        QCOMPARE(CountOf(m.hitsByName, "gzip"), 10u);
        QCOMPARE(CountOf(m.hitsByName, "lz4"), 4u);
        QCOMPARE(m.hitsByName.front().name, std::string("gzip"));
        QVERIFY(m.topMisses.size() <= 8u);
        QCOMPARE(m.topMisses.front().name, std::string("often-missed"));
        // Sampling off (Quiet): classic space-saving, count >= true >= count - error.
        QVERIFY(m.topMisses.front().count >= 1000u);
        QVERIFY(m.topMisses.front().count - m.topMisses.front().error <= 1000u);
        // Every lookup that got as far as a snapshot was timed (sample every 1).
        QCOMPARE(m.latency.count, m.lookupHit + m.lookupMiss + 1);
        QCOMPARE(m.latency.counts.size(), m.latency.boundsSeconds.size() + 1);
        std::uint64_t sum = 0;
        for (auto c : m.latency.counts)
            sum += c;
        QCOMPARE(sum, m.latency.count);
        QVERIFY(m.latency.P50() > 0);
        QVERIFY(m.latency.P99() >= m.latency.P50());
        QVERIFY(m.latency.sumSeconds > 0);
    }

    void metricsSampleLatency() {
        auto opts = Quiet();
        opts.latencySampleEvery = 64;
        Registry<Impl> reg(opts);
        Fill(reg);
        for (int i = 0; i < 640; ++i)
            QVERIFY(reg.Lookup("gzip"));
        const auto m = reg.Metrics();
        QCOMPARE(m.latency.count, 10u);
        QCOMPARE(m.latencySampleEvery, 64u);
    }

    // The documented bound (Metrics.h): true misses >= count - error, for every entry, with
    // the default sampling; names in the table are counted exactly.
    void missCountsHonest() {
        auto opts = Quiet();
        opts.missSampleEvery = 8; // a sampling rate (the default is 32)
        opts.missTopK = 4;
        Registry<Impl> reg(opts);
        Fill(reg);
        std::map<std::string, std::uint64_t> truth;
        auto miss = [&](const std::string& name) {
            QVERIFY(!reg.Lookup(name));
            ++truth[name];
        };
        auto check = [&](const MetricsSnapshot& m) {
            for (const auto& nc : m.topMisses) {
                QVERIFY2(nc.count >= nc.error, nc.name.c_str());
                QVERIFY2(truth[nc.name] >= nc.count - nc.error, nc.name.c_str());
            }
        };
        miss("once");
        {
            const auto m = reg.Metrics();
            QCOMPARE(m.missSampleEvery, 8u);
            QCOMPARE(m.topMisses.size(), 1u);
            QCOMPARE(m.topMisses.front().count, 1u); // not 8: a single miss
            QCOMPARE(m.topMisses.front().error, 0u);
        }
        // Up to K distinct names: exact, whatever the sampling.
        for (int i = 0; i < 79; ++i)
            miss("often");
        miss("b");
        miss("c");
        {
            const auto m = reg.Metrics();
            QCOMPARE(m.lookupMiss, 82u); // the total stays exact
            QCOMPARE(CountOf(m.topMisses, "often"), 79u);
            QCOMPARE(CountOf(m.topMisses, "b"), 1u);
            for (const auto& nc : m.topMisses)
                QCOMPARE(nc.error, 0u);
            check(m);
        }
        // A full table and a flood of distinct names (1 in 8 admitted): the bound still holds,
        // the table stays at K, and the often-missed name keeps its exact count.
        for (int i = 0; i < 500; ++i)
            miss("flood-" + std::to_string(i));
        for (int i = 0; i < 20; ++i)
            miss("often");
        for (int i = 0; i < 30; ++i)
            miss("late"); // admitted on a sampled miss, exact from then on
        const auto m = reg.Metrics();
        QCOMPARE(m.lookupMiss, 632u);
        QVERIFY(m.topMisses.size() <= 4u);
        QCOMPARE(m.topMisses.front().name, std::string("often"));
        QCOMPARE(m.topMisses.front().count, 99u);
        QCOMPARE(m.topMisses.front().error, 0u);
        check(m);
        const auto late = std::ranges::find(m.topMisses, std::string("late"), &NameCount::name);
        QVERIFY(late != m.topMisses.end());
        QVERIFY(late->error > 0); // it took the place of a flood name
        check(m);
        // The same through the retired totals of an exited thread.
        std::thread t([&] {
            for (int i = 0; i < 300; ++i)
                (void)reg.Lookup("t-" + std::to_string(i % 37));
        });
        t.join();
        for (int i = 0; i < 300; ++i)
            truth["t-" + std::to_string(i % 37)]++;
        check(reg.Metrics());
    }

    void metricsSurviveReaderThreadExit() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        std::thread t([&] {
            for (int i = 0; i < 100; ++i) {
                auto h = reg.Lookup("lz4");
                auto miss = reg.Lookup("gone");
                (void)h;
                (void)miss;
            }
        });
        t.join();
        QVERIFY(reg.Lookup("lz4"));
        const auto m = reg.Metrics();
        QCOMPARE(m.lookupHit, 101u);
        QCOMPARE(m.lookupMiss, 100u);
        QCOMPARE(CountOf(m.hitsByName, "lz4"), 101u);
        QCOMPARE(CountOf(m.topMisses, "gone"), 100u);
    }

    void prometheusText() {
        auto opts = Quiet();
        opts.latencySampleEvery = 1;
        Registry<Impl> reg(opts);
        Fill(reg);
        QVERIFY(reg.AddAlias({}, {.alias = "z\"lib", .target = "gzip"}));
        for (int i = 0; i < 3; ++i)
            QVERIFY(reg.Lookup("gzip"));
        QVERIFY(reg.Lookup("z\"lib"));
        QVERIFY(!reg.Lookup("missing"));
        const auto text = QString::fromStdString(reg.Metrics().ToPrometheus());
        const auto lines = text.split(u'\n', Qt::SkipEmptyParts);
        static const QRegularExpression sample(
            uR"(^regscope_registry_[a-z_]+(\{[a-z_]+="([^"\\]|\\.)*"\})? [0-9.e+\-]+$|^regscope_registry_[a-z_]+_bucket\{le="[^"]+"\} [0-9]+$)"_qs);
        static const QRegularExpression meta(uR"(^# (HELP|TYPE) regscope_registry_[a-z_]+ .+$)"_qs);
        for (const auto& l : lines)
            QVERIFY2(sample.match(l).hasMatch() || meta.match(l).hasMatch(), qPrintable(l));
        QVERIFY(lines.contains(u"regscope_registry_lookup_total{outcome=\"hit\"} 4"_qs));
        QVERIFY(lines.contains(u"regscope_registry_lookup_total{outcome=\"miss\"} 1"_qs));
        QVERIFY(lines.contains(u"regscope_registry_lookup_total{outcome=\"error\"} 0"_qs));
        QVERIFY(lines.contains(u"regscope_registry_entries 14"_qs));
        QVERIFY(lines.contains(u"regscope_registry_register_total{outcome=\"ok\"} 14"_qs));
        QVERIFY(
            lines.contains(u"regscope_registry_deprecated_lookup_total{name=\"z\\\"lib\"} 1"_qs));
        QVERIFY(lines.contains(u"regscope_registry_lookup_hits_by_name_total{name=\"gzip\"} 4"_qs));
        QVERIFY(lines.contains(
            u"regscope_registry_lookup_misses_by_name_total{name=\"missing\"} 1"_qs));
        QVERIFY(lines.contains(u"# TYPE regscope_registry_lookup_latency_seconds histogram"_qs));
        QVERIFY(
            lines.contains(u"regscope_registry_lookup_latency_seconds_bucket{le=\"+Inf\"} 5"_qs));
        QVERIFY(lines.contains(u"regscope_registry_lookup_latency_seconds_count 5"_qs));
        // Buckets are cumulative.
        qulonglong last = 0;
        for (const auto& l : lines)
            if (l.startsWith(u"regscope_registry_lookup_latency_seconds_bucket"_qs)) {
                const auto v = l.section(u' ', -1).toULongLong();
                QVERIFY(v >= last);
                last = v;
            }
    }

    // --- observers ---------------------------------------------------------------------------
    void observerEvents() {
        Registry<Impl> reg(Quiet());
        auto obs = std::make_shared<RecordingObserver>();
        const auto id = reg.AddObserver(obs);
        const auto acme = Context::Tenant("acme");
        QVERIFY(reg.Register(acme, "gzip", "1.0.0", Make("g"),
                             {.kind = "compression", .description = "d", .origin = "o"}));
        QVERIFY(reg.AddAlias(
            acme, {.alias = "zlib", .target = "gzip", .message = "m", .removeAfter = "r"}));
        QVERIFY(reg.Lookup(acme, "zlib"));
        QVERIFY(!reg.Register(acme, "gzip", "1.0.0", Make("g")));
        QVERIFY(reg.Deregister(acme, "gzip", "1.0.0"));
        QVERIFY(reg.Reload({}, {{"", "a", "1.0.0", Make("a")}, {"", "b", "2.0.0", Make("b")}}));
        auto ev = obs->Take();
        QCOMPARE(ev.size(), 6u);
        QCOMPARE(ev[0].kind, ChangeKind::Registered);
        QCOMPARE(ev[0].tenant, std::string("acme"));
        QCOMPARE(ev[0].name, std::string("gzip"));
        QCOMPARE(ev[0].version, std::string("1.0.0"));
        QCOMPARE(ev[0].type, std::string("codec"));
        QCOMPARE(ev[0].entryKind, std::string("compression"));
        QCOMPARE(ev[0].description, std::string("d"));
        QCOMPARE(ev[0].origin, std::string("o"));
        QCOMPARE(ev[0].time, kFixedTime);
        QCOMPARE(ev[1].kind, ChangeKind::AliasAdded);
        QCOMPARE(ev[1].aliasOf, std::string("gzip"));
        QCOMPARE(ev[1].entryKind, std::string("compression")); // the target's kind
        QCOMPARE(ev[1].type, std::string("codec"));
        QCOMPARE(ev[1].deprecationMessage, std::string("m"));
        QCOMPARE(ev[1].removeAfter, std::string("r"));
        QVERIFY(ev[1].generation > ev[0].generation);
        QCOMPARE(ev[2].kind, ChangeKind::DeprecatedLookup);
        QCOMPARE(ev[2].name, std::string("zlib"));
        QCOMPARE(ev[2].aliasOf, std::string("gzip"));
        QCOMPARE(ev[3].kind, ChangeKind::Rejected);
        QCOMPARE(ev[3].error, std::optional<ErrorCode>(ErrorCode::Duplicate));
        QCOMPARE(ev[4].kind, ChangeKind::Deregistered);
        QCOMPARE(ev[4].version, std::string("1.0.0"));
        QCOMPARE(ev[5].kind, ChangeKind::Reloaded);
        QCOMPARE(ev[5].added, 2u);
        QCOMPARE(ev[5].removed, 0u);
        QCOMPARE(ev[5].generation, reg.Generation());
        reg.RemoveObserver(id);
        QVERIFY(reg.Register("c", "1.0.0", Make("c")));
        QVERIFY(obs->Take().empty());
    }

    // The lookup path's name check (word-at-a-time) agrees with Register's, for every length
    // and position of a bad byte, and a repeated miss (skipping the check) stays a miss.
    void lookupNameCheck() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        for (std::size_t len : {1u, 2u, 7u, 8u, 9u, 15u, 16u, 17u, 24u, 255u, 256u}) {
            for (std::size_t pos = 0; pos < len; ++pos) {
                for (char bad : {' ', '\t', '\x01', '\x7f', '\0'}) {
                    std::string name(len, 'a');
                    name[pos] = bad;
                    auto h = reg.Lookup(name);
                    QVERIFY(!h);
                    QCOMPARE(h.error().code, ErrorCode::InvalidName);
                    QCOMPARE(reg.Register(name, "1.0.0", Make("x")).error().code,
                             ErrorCode::InvalidName);
                }
            }
            std::string ok(len, 'a');
            ok[len / 2] = '\xc3'; // UTF-8 bytes are not control characters
            for (int i = 0; i < 2; ++i)
                QCOMPARE(reg.Lookup(ok).error().code, ErrorCode::NotFound);
            QCOMPARE(reg.Lookup(std::string(len, '~')).error().code, ErrorCode::NotFound);
        }
        QCOMPARE(reg.Lookup(std::string(257, 'a')).error().code, ErrorCode::InvalidName);
        const auto m = reg.Metrics();
        QCOMPARE(m.lookupMiss, 11u * 3u);
    }

    // An alias event carries its target's kind, resolved as a lookup would: the tenant's
    // layer first, else the global one; the highest version that has a kind.
    void aliasEventKind() {
        Registry<Impl> reg(Quiet());
        auto obs = std::make_shared<RecordingObserver>();
        reg.AddObserver(obs);
        const auto acme = Context::Tenant("acme");
        QVERIFY(reg.Register("gzip", "1.0.0", Make("g1"), {.kind = "compression"}));
        QVERIFY(reg.Register("gzip", "2.0.0", Make("g2"))); // no kind: the older one's counts
        QVERIFY(reg.Register(acme, "gzip", "3.0.0", Make("a"), {.kind = "acme-codec"}));
        QVERIFY(reg.Register(acme, "lz4", "1.0.0", Make("l"))); // tenant has no kind
        QVERIFY(reg.Register("lz4", "1.0.0", Make("l"), {.kind = "fast"}));
        QVERIFY(reg.Register("raw", "1.0.0", Make("r")));
        (void)obs->Take();
        QVERIFY(reg.AddAlias({}, {.alias = "zlib", .target = "gzip"}));
        QVERIFY(reg.AddAlias(acme, {.alias = "deflate", .target = "gzip"}));
        QVERIFY(reg.AddAlias(acme, {.alias = "lz", .target = "lz4"}));
        QVERIFY(reg.AddAlias({}, {.alias = "plain", .target = "raw"}));
        const auto ev = obs->Take();
        QCOMPARE(ev.size(), 4u);
        for (const auto& e : ev)
            QCOMPARE(e.kind, ChangeKind::AliasAdded);
        QCOMPARE(ev[0].entryKind, std::string("compression"));
        QCOMPARE(ev[1].entryKind, std::string("acme-codec"));
        QCOMPARE(ev[2].entryKind, std::string("fast"));
        QCOMPARE(ev[3].entryKind, std::string()); // no kind anywhere: the app shows `type`
        QCOMPARE(ev[3].type, std::string("codec"));
    }

    // --- snapshots, collisions, typed small structs -----------------------------------------
    void snapshotRows() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        QVERIFY(reg.AddAlias(Context::Tenant("acme"),
                             {.alias = "z", .target = "gzip", .message = "m", .removeAfter = "r"}));
        const auto snap = reg.Snapshot();
        QCOMPARE(snap.size(), std::size(kFixture) + 1);
        const auto& last = snap.back(); // tenants sort after the global layer ("")
        QCOMPARE(last.tenant, std::string("acme"));
        QCOMPARE(last.aliasOf, std::string("gzip"));
        QVERIFY(last.deprecated);
        QCOMPARE(last.deprecationMessage, std::string("m"));
        QCOMPARE(last.removeAfter, std::string("r"));
        QCOMPARE(last.version, std::string());
        // Versions of a name come highest first.
        auto firstGzip = std::ranges::find_if(snap, [](const auto& e) { return e.name == "gzip"; });
        QCOMPARE(firstGzip->version, std::string("3.0.0-beta.1"));
        QCOMPARE((firstGzip + 1)->version, std::string("2.1.0"));
        auto legacy =
            std::ranges::find_if(snap, [](const auto& e) { return e.name == "legacy-deflate"; });
        QVERIFY(legacy->deprecated);
        QCOMPARE(legacy->removeAfter, std::string("2027-01-01"));
        QCOMPARE(legacy->description, std::string("old"));
    }

    void collisions() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        QVERIFY(reg.AddAlias({}, {.alias = "zlib", .target = "gzip"}));
        const std::vector<std::string> offered = {"new1", "gzip", "zlib", "new2", "lz4"};
        QCOMPARE(reg.Collisions({}, offered), (std::vector<std::string>{"gzip", "zlib", "lz4"}));
        QVERIFY(reg.Collisions(Context::Tenant("acme"), std::vector<std::string>{"x"}).empty());
    }

    void smallCStruct() {
        struct PluginEntry {
            const char* kind;
            int (*process)(int);
        };
        Registry<PluginEntry> reg(Quiet());
        QVERIFY(reg.Register(
            "double", "1.0.0",
            std::make_shared<PluginEntry>(PluginEntry{"filter", [](int x) { return 2 * x; }}),
            {.kind = "filter", .origin = "/plugins/libdouble.so"}));
        auto h = reg.Lookup("double");
        QVERIFY(h.has_value());
        QCOMPARE((*h)->process(21), 42);
        std::shared_ptr<PluginEntry> kept = h->Share();
        QVERIFY(reg.Deregister({}, "double", "1.0.0"));
        QCOMPARE(kept->process(2), 4); // shared ownership outlives the registration
    }

    // --- hot reload --------------------------------------------------------------------------
    void reloadIsAllOrNothing() {
        Registry<Impl> reg(Quiet());
        Fill(reg);
        const auto before = reg.Snapshot().size();
        const auto gen = reg.Generation();
        auto bad =
            reg.Reload({}, {{"", "ok", "1.0.0", Make("ok")}, {"", "broken", "1.0", Make("b")}});
        QVERIFY(!bad);
        QCOMPARE(bad.error().code, ErrorCode::ValidationFailed);
        QCOMPARE(reg.Snapshot().size(), before);
        QCOMPARE(reg.Generation(), gen);
        QCOMPARE(reg.Reload({}, {{"", "n", "1.0.0", nullptr}}).error().code,
                 ErrorCode::ValidationFailed);
        QCOMPARE(reg.Reload({}, {{"", "n", "1.0.0", Make("1")}, {"", "n", "1.0.0", Make("2")}})
                     .error()
                     .code,
                 ErrorCode::ValidationFailed);
        QCOMPARE(
            reg.Reload({}, {{"", "n", "1.0.0", Make("1")}}, {{"", {.alias = "m", .target = "q"}}})
                .error()
                .code,
            ErrorCode::ValidationFailed);

        auto ok = reg.Reload({},
                             {{"", "gzip", "2.1.0", Make("new-gzip")},
                              {"", "fresh", "1.0.0", Make("fresh")},
                              {"acme", "gzip", "5.0.0", Make("acme")}},
                             {{"", {.alias = "zlib", .target = "gzip"}}});
        QVERIFY(ok.has_value());
        QCOMPARE(ok->kept, 1u);
        QCOMPARE(ok->added, 2u);
        QCOMPARE(ok->removed, std::size(kFixture) - 1);
        QCOMPARE(ok->generation, reg.Generation());
        QCOMPARE(LookupId(reg, {}, "gzip"), std::optional<std::string>("new-gzip"));
        QCOMPARE(LookupId(reg, {}, "zlib"), std::optional<std::string>("new-gzip"));
        QCOMPARE(LookupId(reg, Context::Tenant("acme"), "gzip"),
                 std::optional<std::string>("acme"));
        QCOMPARE(reg.Lookup("lz4").error().code, ErrorCode::NotFound);
        QCOMPARE(reg.Names(), (std::vector<std::string>{"fresh", "gzip"}));
    }

    void reloadReleasesOldImplementationsThatReenter() {
        Registry<Impl> reg(Quiet());
        std::atomic<int> destroyed{0};
        std::atomic<bool> reentered{false};
        auto reentrant = [&](const std::string& id) {
            return std::make_shared<Impl>(id, [&reg, &destroyed, &reentered] {
                // An old implementation's cleanup uses the registry: read and write.
                auto h = reg.Lookup("b");
                auto r = reg.Register("cleanup-" + std::to_string(destroyed.fetch_add(1)), "1.0.0",
                                      std::make_shared<Impl>("c"));
                reentered = h.has_value() && r.has_value();
            });
        };
        QVERIFY(reg.Register("a", "1.0.0", reentrant("a1")));
        QVERIFY(reg.Register("b", "1.0.0", reentrant("b1")));
        QVERIFY(reg.Lookup("a")); // this thread now caches the current snapshot

        // A Handle pins the old implementation across the reload.
        std::optional<Handle<Impl>> pinned;
        pinned.emplace(*reg.Lookup("a"));

        std::promise<std::expected<ReloadReport, Error>> done;
        auto result = done.get_future();
        std::thread reloader([&] {
            done.set_value(reg.Reload({}, {{"", "b", "2.0.0", std::make_shared<Impl>("b2")}}));
            reg.ReleaseThreadCache();
        });
        if (result.wait_for(10s) != std::future_status::ready)
            qFatal("Reload deadlocked");
        reloader.join();
        QVERIFY(result.get().has_value());
        // Still alive: this thread's cache and the Handle hold the old snapshot.
        QCOMPARE(destroyed.load(), 0);
        QCOMPARE((*pinned)->id, std::string("a1"));
        QCOMPARE(reg.Lookup("a").error().code, ErrorCode::NotFound); // moves the cache on
        QCOMPARE(destroyed.load(), 0);                               // pinned by the Handle
        pinned.reset(); // last pin gone: the old snapshot is now unreferenced but retired...
        QCOMPARE(destroyed.load(), 0);      // ...readers never run destructors;
        QCOMPARE(reg.ReclaimRetired(), 1u); // the next write or an explicit reclaim does,
        QCOMPARE(destroyed.load(), 2);      // and a1, b1 re-enter the registry from there
        QCOMPARE(reg.ReclaimRetired(), 0u); // the re-entrant Registers reclaimed after themselves
        QVERIFY(reentered.load());
        QVERIFY(reg.Lookup("cleanup-0").has_value());
        QVERIFY(reg.Lookup("cleanup-1").has_value());
    }

    void reloadOnReadingThreadReleasesAtOnce() {
        Registry<Impl> reg(Quiet());
        int destroyed = 0;
        QVERIFY(reg.Register("a", "1.0.0", std::make_shared<Impl>("a", [&reg, &destroyed] {
                                 ++destroyed;
                                 QVERIFY(reg.Lookup("b").has_value()); // re-enters: no deadlock
                             })));
        QVERIFY(reg.Lookup("a"));
        QVERIFY(reg.Reload({}, {{"", "b", "1.0.0", Make("b")}}));
        QCOMPARE(destroyed, 1); // the writer's own cache moved on; nobody else held it
    }
};

QTEST_GUILESS_MAIN(TestRegistry)
#include "tst_registry.moc"
