#pragma once
// Reads a shared object's dynamic symbols and DT_NEEDED entries with libelf, from bytes
// already read through the pinned fd (never by path: the file may have been swapped).

#include <cstddef>
#include <expected>
#include <string>
#include <vector>

namespace regscope::loader {

struct ElfFacts {
    std::string soname;
    std::vector<std::string> needed;
    std::vector<std::string> exportedSymbols; // defined, global or weak, functions and objects
    bool symbolsTruncated = false;
};

// A string error: the caller turns it into the refusal's message.
std::expected<ElfFacts, std::string> inspectElf(const std::byte* data, size_t size,
                                                size_t maxSymbols);

} // namespace regscope::loader
