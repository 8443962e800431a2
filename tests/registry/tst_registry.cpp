// The registry library's rules (issue 2 §2): lookup, tenants, aliases and deprecation, one test
// per rule, table-driven where a table fits. Metrics, observers, snapshots and reload are in
// tst_registry_metrics.cpp.

#include "tests/registry/RegistryTestSupport.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

#include <future>
#include <thread>

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
};

QTEST_GUILESS_MAIN(TestRegistry)
#include "tst_registry.moc"
