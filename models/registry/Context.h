#pragma once
// Who is calling: the tenant whose layer is used, and the capabilities the caller holds.
// Passed explicitly to every call (no thread-local "current tenant").

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace regscope::registry {

struct Context {
    std::string tenant{}; // empty: the global layer
    std::vector<std::string> capabilities{};

    static Context Global() { return {}; }
    static Context Tenant(std::string name, std::vector<std::string> caps = {}) {
        return Context{std::move(name), std::move(caps)};
    }
    bool Has(std::string_view capability) const {
        return std::ranges::find(capabilities, capability) != capabilities.end();
    }
};

// The global layer, no capabilities: what the context-less overloads use.
inline const Context kGlobalContext{};

} // namespace regscope::registry
