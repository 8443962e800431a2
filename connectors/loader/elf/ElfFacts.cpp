#include "connectors/loader/elf/ElfFacts.h"

#include "connectors/loader/elf/ElfInternal.h"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace regscope::elf {
using namespace detail;
namespace {

constexpr std::uint32_t kNoteGnuBuildId = 3;

std::string machineName(unsigned machine) {
    switch (machine) {
    case EM_X86_64:
        return "x86-64";
    case EM_386:
        return "i386";
    case EM_AARCH64:
        return "AArch64";
    case EM_ARM:
        return "ARM";
    case EM_RISCV:
        return "RISC-V";
    case EM_PPC64:
        return "PowerPC64";
    case EM_S390:
        return "S/390";
    default:
        return "machine " + std::to_string(machine);
    }
}

std::string hex(const unsigned char* data, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(digits[data[i] >> 4]);
        out.push_back(digits[data[i] & 15]);
    }
    return out;
}

// Version names by index: verneed (what this object requires) and verdef (what it defines).
struct Versions {
    std::map<unsigned, std::string> byIndex;
    nlohmann::json needed = nlohmann::json::array(); // [{file, versions[]}]
    bool present = false;
};

void readVerneed(Elf* elf, Elf_Scn* scn, const GElf_Shdr& shdr, Versions& versions) {
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data)
        return;
    int offset = 0;
    for (unsigned i = 0; i < shdr.sh_info; ++i) {
        GElf_Verneed need;
        if (!gelf_getverneed(data, offset, &need))
            break;
        const char* file = elf_strptr(elf, shdr.sh_link, need.vn_file);
        nlohmann::json names = nlohmann::json::array();
        int auxOffset = offset + static_cast<int>(need.vn_aux);
        for (unsigned a = 0; a < need.vn_cnt; ++a) {
            GElf_Vernaux aux;
            if (!gelf_getvernaux(data, auxOffset, &aux))
                break;
            if (const char* name = elf_strptr(elf, shdr.sh_link, aux.vna_name)) {
                versions.byIndex[aux.vna_other & 0x7fff] = name;
                names.push_back(name);
            }
            auxOffset += static_cast<int>(aux.vna_next);
        }
        versions.needed.push_back({{"file", file ? file : "?"}, {"versions", names}});
        if (need.vn_next == 0)
            break;
        offset += static_cast<int>(need.vn_next);
    }
}

void readVerdef(Elf* elf, Elf_Scn* scn, const GElf_Shdr& shdr, Versions& versions) {
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data)
        return;
    int offset = 0;
    for (unsigned i = 0; i < shdr.sh_info; ++i) {
        GElf_Verdef def;
        if (!gelf_getverdef(data, offset, &def))
            break;
        GElf_Verdaux aux;
        if (def.vd_cnt > 0 && gelf_getverdaux(data, offset + static_cast<int>(def.vd_aux), &aux))
            if (const char* name = elf_strptr(elf, shdr.sh_link, aux.vda_name))
                versions.byIndex[def.vd_ndx & 0x7fff] = name;
        if (def.vd_next == 0)
            break;
        offset += static_cast<int>(def.vd_next);
    }
}

struct Dynamic {
    std::string soname;
    std::vector<std::string> needed, rpath, runpath;
    bool present = false;
};

void readDynamic(Elf* elf, Elf_Scn* scn, const GElf_Shdr& shdr, Dynamic& dyn) {
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || shdr.sh_entsize == 0)
        return;
    dyn.present = true;
    const std::size_t count = shdr.sh_size / shdr.sh_entsize;
    for (std::size_t i = 0; i < count; ++i) {
        GElf_Dyn entry;
        if (!gelf_getdyn(data, static_cast<int>(i), &entry) || entry.d_tag == DT_NULL)
            break;
        const auto tag = entry.d_tag;
        if (tag != DT_NEEDED && tag != DT_SONAME && tag != DT_RPATH && tag != DT_RUNPATH)
            continue;
        const char* text = elf_strptr(elf, shdr.sh_link, entry.d_un.d_val);
        if (!text)
            continue;
        if (tag == DT_NEEDED)
            dyn.needed.emplace_back(text);
        else if (tag == DT_SONAME)
            dyn.soname = text;
        else if (tag == DT_RPATH)
            dyn.rpath = splitPath(text);
        else
            dyn.runpath = splitPath(text);
    }
}

struct Symbols {
    std::vector<DynamicSymbol> exports;
    nlohmann::json undefined = nlohmann::json::array();
    bool truncated = false;
    bool present = false;
};

void readDynsym(Elf* elf, Elf_Scn* scn, const GElf_Shdr& shdr, Elf_Data* versym,
                const Versions& versions, std::size_t maxSymbols, Symbols& out) {
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || shdr.sh_entsize == 0)
        return;
    out.present = true;
    const std::size_t count = shdr.sh_size / shdr.sh_entsize;
    for (std::size_t i = 1; i < count; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym))
            break;
        const int bind = GELF_ST_BIND(sym.st_info);
        const int type = GELF_ST_TYPE(sym.st_info);
        if (bind != STB_GLOBAL && bind != STB_WEAK)
            continue;
        const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
        if (!name || !*name)
            continue;
        std::string version;
        GElf_Versym index = 0;
        if (versym && gelf_getversym(versym, static_cast<int>(i), &index))
            if (auto it = versions.byIndex.find(index & 0x7fff); it != versions.byIndex.end())
                version = it->second;
        if (sym.st_shndx == SHN_UNDEF) {
            if (out.undefined.size() >= maxSymbols) {
                out.truncated = true;
                continue;
            }
            out.undefined.push_back(version.empty() ? std::string(name)
                                                    : std::string(name) + "@" + version);
            continue;
        }
        const bool exported = (type == STT_FUNC || type == STT_OBJECT || type == STT_GNU_IFUNC) &&
                              GELF_ST_VISIBILITY(sym.st_other) == STV_DEFAULT;
        if (!exported)
            continue;
        if (out.exports.size() >= maxSymbols) {
            out.truncated = true;
            continue;
        }
        out.exports.push_back({name, sym.st_value, sym.st_size, true});
    }
    std::sort(out.exports.begin(), out.exports.end(),
              [](const DynamicSymbol& a, const DynamicSymbol& b) { return a.name < b.name; });
}

std::optional<std::string> readBuildId(Elf* elf) {
    Elf_Scn* scn = nullptr;
    while ((scn = elf_nextscn(elf, scn)) != nullptr) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
            continue;
        Elf_Data* data = elf_getdata(scn, nullptr);
        if (!data)
            continue;
        GElf_Nhdr note;
        size_t offset = 0, nameOffset = 0, descOffset = 0;
        while ((offset = gelf_getnote(data, offset, &note, &nameOffset, &descOffset)) > 0) {
            const auto* base = static_cast<const unsigned char*>(data->d_buf);
            if (note.n_type == kNoteGnuBuildId && note.n_namesz == 4 &&
                std::memcmp(base + nameOffset, "GNU", 4) == 0)
                return hex(base + descOffset, note.n_descsz);
        }
    }
    return std::nullopt;
}

std::optional<std::string> readInterpreter(const Image& image) {
    size_t phnum = 0;
    if (elf_getphdrnum(image.elf, &phnum) != 0)
        return std::nullopt;
    for (size_t i = 0; i < phnum; ++i) {
        GElf_Phdr phdr;
        if (!gelf_getphdr(image.elf, static_cast<int>(i), &phdr) || phdr.p_type != PT_INTERP)
            continue;
        if (phdr.p_offset + phdr.p_filesz > image.bytes.size() || phdr.p_filesz == 0)
            return std::nullopt;
        const auto* text = reinterpret_cast<const char*>(image.bytes.data() + phdr.p_offset);
        return std::string(text, strnlen(text, phdr.p_filesz));
    }
    return std::string(); // a shared object normally has none
}

const char* typeName(const GElf_Ehdr& ehdr, bool hasInterpreter) {
    switch (ehdr.e_type) {
    case ET_DYN:
        return hasInterpreter ? "PIE executable" : "shared object";
    case ET_EXEC:
        return "executable";
    case ET_REL:
        return "relocatable object";
    case ET_CORE:
        return "core file";
    default:
        return "unknown type";
    }
}

// Every list-valued field starts unknown; reading it replaces the null.
nlohmann::json emptyFacts(std::span<const std::byte> bytes) {
    nlohmann::json facts = {{"sha256", sha256Hex(bytes)},
                            {"size", bytes.size()},
                            {"format", nullptr},
                            {"unknown", nlohmann::json::object()}};
    for (const char* field :
         {"elfClass", "machine", "elfType", "soname", "buildId", "needed", "rpath", "runpath",
          "interpreter", "exports", "undefined", "versionsNeeded", "dependencies", "missing"})
        facts[field] = nullptr;
    facts["symbolsTruncated"] = false;
    facts["kind"] = {{"kind", "unknown"}};
    return facts;
}

void markUnknown(nlohmann::json& facts, const std::string& reason) {
    for (auto& [key, value] : facts.items())
        if (value.is_null() && key != "format")
            facts["unknown"][key] = reason;
}

nlohmann::json strings(const std::vector<std::string>& list) {
    return nlohmann::json(list);
}

} // namespace

std::string sha256Hex(std::span<const std::byte> bytes) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    return hex(digest, sizeof digest);
}

nlohmann::json readFacts(std::span<const std::byte> bytes, const FactsOptions& options) {
    nlohmann::json facts = emptyFacts(bytes);
    if (elf_version(EV_CURRENT) == EV_NONE) {
        markUnknown(facts, std::string("libelf: ") + elf_errmsg(-1));
        return facts;
    }
    // elf_memory takes a non-const image but only reads it (ELF_C_READ semantics).
    ElfPtr elf(
        elf_memory(reinterpret_cast<char*>(const_cast<std::byte*>(bytes.data())), bytes.size()));
    Image image{bytes, elf.get(), {}};
    if (!elf || elf_kind(elf.get()) != ELF_K_ELF || !gelf_getehdr(elf.get(), &image.ehdr)) {
        facts["format"] = "not ELF";
        facts["kind"] = {{"kind", "not_elf"}};
        markUnknown(facts, "not an ELF file");
        return facts;
    }
    facts["format"] = "ELF";
    facts["elfClass"] = gelf_getclass(elf.get()) == ELFCLASS64 ? "ELF64" : "ELF32";
    facts["machine"] = machineName(image.ehdr.e_machine);
    const auto interpreter = readInterpreter(image);
    if (interpreter)
        facts["interpreter"] = *interpreter;
    facts["elfType"] = typeName(image.ehdr, interpreter && !interpreter->empty());
    if (auto id = readBuildId(elf.get()))
        facts["buildId"] = *id;
    else
        facts["unknown"]["buildId"] = "the file has no GNU build-id note";

    Versions versions;
    Dynamic dyn;
    Symbols symbols;
    Elf_Scn *dynsym = nullptr, *versymScn = nullptr;
    GElf_Shdr dynsymHdr{};
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf.get(), scn)) != nullptr;) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr))
            continue;
        if (shdr.sh_type == SHT_GNU_verneed) {
            versions.present = true;
            readVerneed(elf.get(), scn, shdr, versions);
        } else if (shdr.sh_type == SHT_GNU_verdef) {
            readVerdef(elf.get(), scn, shdr, versions);
        } else if (shdr.sh_type == SHT_DYNAMIC) {
            readDynamic(elf.get(), scn, shdr, dyn);
        } else if (shdr.sh_type == SHT_DYNSYM) {
            dynsym = scn;
            dynsymHdr = shdr;
        } else if (shdr.sh_type == SHT_GNU_versym) {
            versymScn = scn;
        }
    }
    if (dynsym)
        readDynsym(elf.get(), dynsym, dynsymHdr,
                   versymScn ? elf_getdata(versymScn, nullptr) : nullptr, versions,
                   options.maxSymbols, symbols);
    if (dyn.present) {
        facts["soname"] = dyn.soname;
        facts["needed"] = strings(dyn.needed);
        facts["rpath"] = strings(dyn.rpath);
        facts["runpath"] = strings(dyn.runpath);
    }
    if (symbols.present) {
        nlohmann::json names = nlohmann::json::array();
        for (const auto& s : symbols.exports)
            names.push_back(s.name);
        facts["exports"] = std::move(names);
        facts["undefined"] = std::move(symbols.undefined);
        facts["symbolsTruncated"] = symbols.truncated;
    }
    facts["versionsNeeded"] = std::move(versions.needed);
    if (dyn.present && options.resolveDependencies)
        resolveDependencies(image, dyn.needed, dyn.rpath, dyn.runpath, options.originDirectory,
                            options.maxDependencies, facts);
    else if (!dyn.present)
        facts["dependencies"] = facts["missing"] = nlohmann::json::array();
    facts["kind"] = detectKind(image, symbols.exports, options.fileName);
    markUnknown(facts, dyn.present ? "not recorded in the file"
                                   : "the file has no dynamic section (statically linked)");
    return facts;
}

nlohmann::json readFactsFromFile(const std::string& path, std::size_t maxBytes) {
    auto fail = [](const std::string& reason) {
        nlohmann::json facts = emptyFacts({});
        facts["sha256"] = facts["size"] = nullptr;
        markUnknown(facts, reason);
        return facts;
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return fail(path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return fail(path + " is not a regular file");
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size > maxBytes) {
        ::close(fd);
        return fail("larger than the inspection bound");
    }
    if (size == 0) {
        ::close(fd);
        return readFacts({}, {});
    }
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED)
        return fail(std::string("mmap: ") + std::strerror(errno));
    FactsOptions options;
    options.fileName = path.substr(path.find_last_of('/') + 1);
    options.originDirectory = path.find('/') == std::string::npos
                                  ? std::string(".")
                                  : path.substr(0, path.find_last_of('/'));
    auto facts = readFacts({static_cast<const std::byte*>(map), size}, options);
    ::munmap(map, size);
    return facts;
}

namespace detail {

std::span<const std::byte> Image::atAddress(std::uint64_t vaddr, std::size_t size) const {
    size_t phnum = 0;
    if (elf_getphdrnum(elf, &phnum) != 0)
        return {};
    for (size_t i = 0; i < phnum; ++i) {
        GElf_Phdr phdr;
        if (!gelf_getphdr(elf, static_cast<int>(i), &phdr) || phdr.p_type != PT_LOAD)
            continue;
        if (vaddr < phdr.p_vaddr || vaddr + size > phdr.p_vaddr + phdr.p_filesz)
            continue;
        const std::uint64_t offset = phdr.p_offset + (vaddr - phdr.p_vaddr);
        if (offset + size > bytes.size())
            return {};
        return bytes.subspan(offset, size);
    }
    return {};
}

std::optional<std::string> Image::stringAt(std::uint64_t vaddr, std::size_t max) const {
    size_t phnum = 0;
    if (elf_getphdrnum(elf, &phnum) != 0)
        return std::nullopt;
    for (size_t i = 0; i < phnum; ++i) {
        GElf_Phdr phdr;
        if (!gelf_getphdr(elf, static_cast<int>(i), &phdr) || phdr.p_type != PT_LOAD)
            continue;
        if (vaddr < phdr.p_vaddr || vaddr >= phdr.p_vaddr + phdr.p_filesz)
            continue;
        const std::uint64_t offset = phdr.p_offset + (vaddr - phdr.p_vaddr);
        if (offset >= bytes.size())
            return std::nullopt;
        const std::size_t avail = std::min<std::uint64_t>(
            {max, phdr.p_vaddr + phdr.p_filesz - vaddr, bytes.size() - offset});
        const auto* text = reinterpret_cast<const char*>(bytes.data() + offset);
        const std::size_t len = strnlen(text, avail);
        if (len == avail)
            return std::nullopt;
        return std::string(text, len);
    }
    return std::nullopt;
}

Elf_Scn* Image::sectionNamed(const char* name) const {
    size_t shstrndx = 0;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return nullptr;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn)) != nullptr;) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr))
            continue;
        const char* n = elf_strptr(elf, shstrndx, shdr.sh_name);
        if (n && std::strcmp(n, name) == 0)
            return scn;
    }
    return nullptr;
}

std::vector<std::string> splitPath(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t colon = text.find(':', start);
        const std::size_t end = colon == std::string::npos ? text.size() : colon;
        if (end > start)
            out.push_back(text.substr(start, end - start));
        if (colon == std::string::npos)
            break;
        start = colon + 1;
    }
    return out;
}

} // namespace detail
} // namespace regscope::elf
