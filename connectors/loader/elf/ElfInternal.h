#pragma once
// Shared by the ElfFacts translation units; not part of the library's interface.

#include <gelf.h>
#include <libelf.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace regscope::elf::detail {

struct ElfCloser {
    void operator()(Elf* elf) const { elf_end(elf); }
};
using ElfPtr = std::unique_ptr<Elf, ElfCloser>;

// An ELF image in memory with the few lookups the readers need.
struct Image {
    std::span<const std::byte> bytes;
    Elf* elf = nullptr;
    GElf_Ehdr ehdr{};

    // File bytes of the virtual range [vaddr, vaddr+size) through PT_LOAD; empty if unmapped.
    std::span<const std::byte> atAddress(std::uint64_t vaddr, std::size_t size) const;
    // A NUL-terminated string at vaddr, bounded; nullopt if unmapped or unterminated.
    std::optional<std::string> stringAt(std::uint64_t vaddr, std::size_t max = 4096) const;
    Elf_Scn* sectionNamed(const char* name) const;
};

struct DynamicSymbol {
    std::string name;
    std::uint64_t value = 0;
    std::uint64_t size = 0;
    bool defined = false;
};

// Kind of plugin and its metadata: {"kind": "qt", ...}. `exports` is the sorted export list.
nlohmann::json detectKind(const Image& image, const std::vector<DynamicSymbol>& exports,
                          const std::string& fileName);

// Go's build info (.go.buildinfo): Go version, main module, dependencies. nullopt: not Go.
std::optional<nlohmann::json> readGoBuildInfo(const Image& image);

// Resolves DT_NEEDED (transitively) as ld.so would: RPATH (when no RUNPATH), RUNPATH,
// ld.so.conf, the default directories. Fills "dependencies" and "missing".
void resolveDependencies(const Image& image, const std::vector<std::string>& needed,
                         const std::vector<std::string>& rpath,
                         const std::vector<std::string>& runpath, const std::string& origin,
                         std::size_t maxDependencies, nlohmann::json& facts);

std::vector<std::string> splitPath(const std::string& text);

} // namespace regscope::elf::detail
