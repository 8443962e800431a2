#pragma once
// regscope's embeddable registry library, one include:
//   #include <regscope/registry.h>
// Registry<T>, RegistryOptions{.typeName = ...}, Register, Lookup (models/registry/Registry.h)
// and the debug endpoint regscope attaches to (models/registry/DebugEndpoint.h):
// REGSCOPE_DEBUG=1 in the environment, or regscope::registry::debug::Start().

#include "models/registry/DebugEndpoint.h"
#include "models/registry/Registry.h"
