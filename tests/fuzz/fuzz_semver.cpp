// Semantic versions and constraints (models/registry/SemVer): text from plugin manifests,
// the connection bar and registry lookups. A version that parses round-trips through
// ToString; a constraint that parses answers Matches for versions of its own text.
#include "models/registry/SemVer.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using regscope::registry::Constraint;
using regscope::registry::Version;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto bar = text.find('\n');
    const std::string_view first = text.substr(0, bar);
    const std::string_view second = bar == std::string_view::npos ? "" : text.substr(bar + 1);

    if (const auto v = Version::Parse(first)) {
        const auto again = Version::Parse(v->ToString());
        if (!again || *again != *v)
            std::abort();
    }
    if (const auto c = Constraint::Parse(first)) {
        if (c->MatchesAny() && !c->Matches(Version{}))
            std::abort();
        if (const auto v = Version::Parse(second))
            (void)c->Matches(*v);
        for (const char* probe : {"0.0.0", "1.2.3", "1.2.3-beta.1", "99999.0.0"})
            (void)c->Matches(*Version::Parse(probe));
    }
    return 0;
}
