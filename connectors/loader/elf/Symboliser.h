#pragma once
// Names a code address inside an ELF file offline, with elfutils' libdw: the function (from
// .symtab or .dynsym) and the source file:line when DWARF is there, in the file itself or as
// separate debug info found by build-id under /usr/lib/debug. Qt-free; reads files, so it
// runs off the GUI thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

typedef struct Dwfl Dwfl;

namespace regscope::elf {

struct SourceLocation {
    std::string function; // empty when no symbol covers the address
    std::string file;     // empty without debug info
    int line = 0;
};

class Symboliser {
public:
    Symboliser() = default;
    Symboliser(const Symboliser&) = delete;
    Symboliser& operator=(const Symboliser&) = delete;
    ~Symboliser();

    // `offset` is relative to the module's load base, as backtrace_symbols prints "(+0x…)".
    // `exact` is false for return addresses (the call is one byte before).
    // `withLines`: also file:line from DWARF (costly on a big binary: only where it matters).
    std::optional<SourceLocation> lookup(const std::string& path, std::uint64_t offset, bool exact,
                                         bool withLines = true);

private:
    Dwfl* session(const std::string& path);
    std::map<std::string, Dwfl*> m_sessions; // one per module file, nullptr when unusable
};

} // namespace regscope::elf
