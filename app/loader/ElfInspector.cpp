#include "ElfInspector.h"

#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <memory>

namespace regscope::loader {
namespace {

struct ElfCloser {
    void operator()(Elf* elf) const { elf_end(elf); }
};

} // namespace

std::expected<ElfFacts, std::string> inspectElf(const std::byte* data, size_t size,
                                                size_t maxSymbols) {
    if (elf_version(EV_CURRENT) == EV_NONE)
        return std::unexpected(std::string("libelf: ") + elf_errmsg(-1));
    // elf_memory takes a non-const image but only reads it with ELF_C_READ_MMAP semantics.
    std::unique_ptr<Elf, ElfCloser> elf(
        elf_memory(reinterpret_cast<char*>(const_cast<std::byte*>(data)), size));
    if (!elf || elf_kind(elf.get()) != ELF_K_ELF)
        return std::unexpected(std::string("not an ELF file"));
    GElf_Ehdr ehdr;
    if (!gelf_getehdr(elf.get(), &ehdr))
        return std::unexpected(std::string("unreadable ELF header: ") + elf_errmsg(-1));
    if (ehdr.e_type != ET_DYN)
        return std::unexpected(std::string("not a shared object (ELF type ") +
                               std::to_string(ehdr.e_type) + ")");

    ElfFacts facts;
    Elf_Scn* section = nullptr;
    while ((section = elf_nextscn(elf.get(), section)) != nullptr) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(section, &shdr))
            continue;
        Elf_Data* sdata = elf_getdata(section, nullptr);
        if (!sdata || shdr.sh_entsize == 0)
            continue;
        const size_t count = shdr.sh_size / shdr.sh_entsize;
        if (shdr.sh_type == SHT_DYNAMIC) {
            for (size_t i = 0; i < count; ++i) {
                GElf_Dyn dyn;
                if (!gelf_getdyn(sdata, static_cast<int>(i), &dyn) || dyn.d_tag == DT_NULL)
                    break;
                if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_SONAME)
                    continue;
                const char* name = elf_strptr(elf.get(), shdr.sh_link, dyn.d_un.d_val);
                if (!name)
                    continue;
                if (dyn.d_tag == DT_NEEDED)
                    facts.needed.emplace_back(name);
                else
                    facts.soname = name;
            }
        } else if (shdr.sh_type == SHT_DYNSYM) {
            for (size_t i = 1; i < count; ++i) {
                GElf_Sym sym;
                if (!gelf_getsym(sdata, static_cast<int>(i), &sym))
                    break;
                const int bind = GELF_ST_BIND(sym.st_info);
                const int type = GELF_ST_TYPE(sym.st_info);
                const bool exported = sym.st_shndx != SHN_UNDEF &&
                                      (bind == STB_GLOBAL || bind == STB_WEAK) &&
                                      (type == STT_FUNC || type == STT_OBJECT) &&
                                      GELF_ST_VISIBILITY(sym.st_other) == STV_DEFAULT;
                if (!exported)
                    continue;
                const char* name = elf_strptr(elf.get(), shdr.sh_link, sym.st_name);
                if (!name || !*name)
                    continue;
                if (facts.exportedSymbols.size() >= maxSymbols) {
                    facts.symbolsTruncated = true;
                    continue;
                }
                facts.exportedSymbols.emplace_back(name);
            }
        }
    }
    std::sort(facts.exportedSymbols.begin(), facts.exportedSymbols.end());
    return facts;
}

} // namespace regscope::loader
