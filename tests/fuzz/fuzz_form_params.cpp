// The discovery server's query/form parser (app/discoveryd/FormParams): a query string or an
// x-www-form-urlencoded body from any client, then every typed getter on what it parsed.
#include "app/discoveryd/FormParams.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    regscope::discoveryd::FormParams params;
    // Query and body are parsed into one set, as the server does.
    const auto split = text.find('\n');
    if (!params.parse(text.substr(0, split)))
        return 0;
    if (split != std::string_view::npos && !params.parse(text.substr(split + 1)))
        return 0;
    for (const char* name : {"appid", "hostname", "status", "latest_timestamp", "replication",
                             "addrs", "metadata", "env", "zone", ""}) {
        const auto first = params.first(name);
        const auto all = params.all(name);
        if (first.has_value() != !all.empty() || (first && *first != all.front()))
            std::abort();
        (void)params.required(name);
        (void)params.requiredList(name);
        (void)params.requiredInt(name);
        (void)params.optionalInt(name, 7);
        (void)params.intList(name);
        (void)params.optionalBool(name);
    }
    return 0;
}
