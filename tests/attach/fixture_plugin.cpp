#include "tests/attach/fixture_plugin.h"

#include <memory>

namespace fixture {

void RegisterFromPlugin(regscope::registry::Registry<Impl>& registry, const std::string& name) {
    (void)registry.Register(name, "1.0.0", std::make_shared<Impl>(), {.kind = "plugin"});
}

} // namespace fixture
