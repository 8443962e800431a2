// A small program that embeds the registry library and nothing else, for the app's attach
// tests: run with REGSCOPE_DEBUG=1 it exposes its registries through the library's debug
// endpoint, with no code for it here. It takes commands on stdin, one per line, and answers on
// stdout (one line, or lines ending with "END"):
//
//   fill REG N                 N registrations in registry REG over 4 tenants   -> "ok N"
//   alias REG TENANT ALIAS TO  a deprecated alias                                -> "ok"
//   churn REG RATE SECONDS     RATE changes/s (register new / deregister old)    -> "churned N"
//   dump                       every entry of every registry, one JSON a line    -> ... "END"
//   quit
//
// Started as: attach_test_host REG[,REG...]  (prints "READY <pid>" once they exist).

#include "models/registry/Registry.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace regscope::registry;

namespace {

struct Impl {
    int id = 0;
};

using Reg = Registry<Impl>;

std::string jsonString(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + '"';
}

std::string tenantOf(std::size_t i) {
    return i % 4 == 0 ? std::string() : "tenant" + std::to_string(i % 4);
}

class Host {
public:
    explicit Host(const std::string& names) {
        std::stringstream in(names);
        for (std::string name; std::getline(in, name, ',');)
            registries_[name] = std::make_unique<Reg>(
                RegistryOptions{.typeName = name, .audit = std::make_shared<NullAuditSink>()});
    }

    Reg* find(const std::string& name) {
        const auto it = registries_.find(name);
        return it == registries_.end() ? nullptr : it->second.get();
    }

    bool registerOne(Reg& r, std::size_t i) {
        const std::string name = "name-" + std::to_string(i / 3);
        const std::string version = "1." + std::to_string(i % 3) + ".0";
        const Context ctx = tenantOf(i).empty() ? kGlobalContext : Context::Tenant(tenantOf(i), {});
        auto ok = r.Register(ctx, name, version, std::make_shared<Impl>(Impl{int(i)}),
                             {.kind = "codec",
                              .description = "entry " + std::to_string(i),
                              .origin = "attach_test_host"});
        return bool(ok);
    }

    bool deregisterOne(Reg& r, std::size_t i) {
        const std::string name = "name-" + std::to_string(i / 3);
        const std::string version = "1." + std::to_string(i % 3) + ".0";
        const Context ctx = tenantOf(i).empty() ? kGlobalContext : Context::Tenant(tenantOf(i), {});
        return bool(r.Deregister(ctx, name, version));
    }

    void fill(Reg& r, std::size_t n) {
        std::size_t& next = next_[&r];
        for (std::size_t k = 0; k < n; ++k)
            registerOne(r, next++);
        std::cout << "ok " << n << std::endl;
    }

    // Paced in steps of 1 ms: every step does its share, then sleeps until the next step.
    void churn(Reg& r, double rate, double seconds) {
        std::size_t& next = next_[&r];
        std::size_t& oldest = oldest_[&r];
        const auto start = std::chrono::steady_clock::now();
        const auto total = std::size_t(rate * seconds);
        std::size_t done = 0;
        for (std::size_t step = 0; done < total; ++step) {
            const auto due = std::size_t(rate * double(step + 1) / 1000.0);
            for (; done < std::min(due, total); ++done) {
                if (done % 3 == 2 && oldest < next)
                    deregisterOne(r, oldest++);
                else
                    registerOne(r, next++);
            }
            std::this_thread::sleep_until(start + std::chrono::milliseconds(step + 1));
        }
        std::cout << "churned " << done << std::endl;
    }

    void dump() {
        for (const auto& [name, r] : registries_) {
            for (const SnapshotEntry& e : r->Snapshot())
                std::cout << "{\"registry\":" << jsonString(name)
                          << ",\"tenant\":" << jsonString(e.tenant)
                          << ",\"name\":" << jsonString(e.name)
                          << ",\"version\":" << jsonString(e.version)
                          << ",\"alias_of\":" << jsonString(e.aliasOf)
                          << ",\"kind\":" << jsonString(e.kind)
                          << ",\"description\":" << jsonString(e.description) << "}\n";
        }
        std::cout << "END" << std::endl;
    }

    std::map<std::string, std::unique_ptr<Reg>> registries_;
    std::map<Reg*, std::size_t> next_;
    std::map<Reg*, std::size_t> oldest_;
};

} // namespace

int main(int argc, char** argv) {
    Host host(argc > 1 ? argv[1] : "codec");
    std::cout << "READY " << ::getpid() << std::endl;
    for (std::string line; std::getline(std::cin, line);) {
        std::stringstream in(line);
        std::string command;
        std::string reg;
        in >> command >> reg;
        Reg* r = host.find(reg);
        if (command == "quit") {
            break;
        } else if (command == "dump") {
            host.dump();
        } else if (!r) {
            std::cout << "error: no registry '" << reg << "'" << std::endl;
        } else if (command == "fill") {
            std::size_t n = 0;
            in >> n;
            host.fill(*r, n);
        } else if (command == "alias") {
            std::string tenant;
            std::string alias;
            std::string target;
            in >> tenant >> alias >> target;
            if (tenant == "-")
                tenant.clear();
            const Context ctx = tenant.empty() ? kGlobalContext : Context::Tenant(tenant, {});
            auto ok =
                r->AddAlias(ctx, {.alias = alias, .target = target, .message = "use " + target});
            std::cout << (ok ? "ok" : "error: " + ok.error().message) << std::endl;
        } else if (command == "churn") {
            double rate = 0;
            double seconds = 0;
            in >> rate >> seconds;
            host.churn(*r, rate, seconds);
        } else {
            std::cout << "error: unknown command '" << command << "'" << std::endl;
        }
    }
    return 0;
}
