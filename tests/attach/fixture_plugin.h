#pragma once
// A shared library that registers into a registry it is handed: its entries' registeredBy
// must name this library, not the host executable.

#include "models/registry/Registry.h"

#include <string>

namespace fixture {

struct Impl {
    int value = 0;
};

// Registers `name` 1.0.0 from code inside libendpoint_fixture_plugin.so.
__attribute__((visibility("default"))) void
RegisterFromPlugin(regscope::registry::Registry<Impl>& registry, const std::string& name);

} // namespace fixture
