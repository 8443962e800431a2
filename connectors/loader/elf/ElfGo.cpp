// Go build info, read without running the binary: `.go.buildinfo` (Go ≥ 1.18 layout) holds
// the Go version and the module information that `go version -m` prints.

#include "connectors/loader/elf/ElfInternal.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace regscope::elf::detail {
namespace {

constexpr std::string_view kMagic = "\xff Go buildinf:";
constexpr std::string_view kGoPlugin = "github.com/hashicorp/go-plugin";

std::optional<std::string> varintString(std::span<const std::byte> in, std::size_t& pos) {
    std::uint64_t len = 0;
    for (int shift = 0; pos < in.size() && shift < 64; shift += 7) {
        const auto b = static_cast<std::uint8_t>(in[pos++]);
        len |= std::uint64_t(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (pos + len > in.size())
                return std::nullopt;
            std::string s(reinterpret_cast<const char*>(in.data() + pos), len);
            pos += len;
            return s;
        }
    }
    return std::nullopt;
}

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t tab = line.find('\t', start);
        out.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
        if (tab == std::string_view::npos)
            return out;
        start = tab + 1;
    }
}

// Function names of the binary (pclntab or symtab) mention the go-plugin package.
bool linksGoPlugin(const Image& image) {
    for (const char* name : {".gopclntab", ".data.rel.ro", ".rodata", ".symtab", ".strtab"}) {
        Elf_Scn* scn = image.sectionNamed(name);
        if (!scn)
            continue;
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS ||
            shdr.sh_offset + shdr.sh_size > image.bytes.size())
            continue;
        const std::string_view text(
            reinterpret_cast<const char*>(image.bytes.data()) + shdr.sh_offset, shdr.sh_size);
        if (text.find(std::string(kGoPlugin) + ".") != std::string_view::npos)
            return true;
    }
    return false;
}

} // namespace

std::optional<nlohmann::json> readGoBuildInfo(const Image& image) {
    Elf_Scn* scn = image.sectionNamed(".go.buildinfo");
    if (!scn)
        return std::nullopt;
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_offset + shdr.sh_size > image.bytes.size() ||
        shdr.sh_size < 32)
        return std::nullopt;
    const auto in = image.bytes.subspan(shdr.sh_offset, shdr.sh_size);
    if (std::memcmp(in.data(), kMagic.data(), kMagic.size()) != 0)
        return std::nullopt;
    const bool goPlugin = linksGoPlugin(image);
    nlohmann::json go = {{"kind", goPlugin ? "go-plugin" : "go"},
                         {"goVersion", nullptr},
                         {"path", nullptr},
                         {"module", nullptr},
                         {"goPluginVersion", nullptr},
                         {"unknown", nlohmann::json::object()}};
    const auto flags = static_cast<std::uint8_t>(in[15]);
    if (!(flags & 2)) {
        go["unknown"]["goVersion"] = "build info in the pre-Go 1.18 layout (pointers)";
        return go;
    }
    std::size_t pos = 32;
    const auto version = varintString(in, pos);
    const auto modinfo = varintString(in, pos);
    if (!version) {
        go["unknown"]["goVersion"] = "malformed build info";
        return go;
    }
    go["goVersion"] = *version;
    nlohmann::json deps = nlohmann::json::array();
    nlohmann::json settings = nlohmann::json::object();
    // modinfo is framed by two 16-byte sentinels.
    const std::string_view info = modinfo && modinfo->size() >= 32
                                      ? std::string_view(*modinfo).substr(16, modinfo->size() - 32)
                                      : std::string_view();
    std::size_t start = 0;
    while (start < info.size()) {
        const std::size_t nl = info.find('\n', start);
        const auto line = info.substr(start, nl == std::string_view::npos ? nl : nl - start);
        start = nl == std::string_view::npos ? info.size() : nl + 1;
        const auto f = fields(line);
        if (f[0] == "path" && f.size() >= 2)
            go["path"] = std::string(f[1]);
        else if (f[0] == "mod" && f.size() >= 3)
            go["module"] = {{"path", std::string(f[1])}, {"version", std::string(f[2])}};
        else if (f[0] == "dep" && f.size() >= 3) {
            deps.push_back({{"path", std::string(f[1])}, {"version", std::string(f[2])}});
            if (f[1] == kGoPlugin) {
                go["goPluginVersion"] = std::string(f[2]);
                go["kind"] = "go-plugin";
            }
        } else if (f[0] == "build" && f.size() >= 2) {
            const auto eq = f[1].find('=');
            if (eq != std::string_view::npos)
                settings[std::string(f[1].substr(0, eq))] = std::string(f[1].substr(eq + 1));
        }
    }
    go["dependencies"] = std::move(deps);
    go["buildSettings"] = std::move(settings);
    if (go["module"].is_null())
        go["unknown"]["module"] = "built outside module mode (GOPATH): no module recorded";
    if (go["kind"] == "go-plugin" && go["goPluginVersion"].is_null())
        go["unknown"]["goPluginVersion"] =
            "links github.com/hashicorp/go-plugin, but no module versions are recorded (GOPATH "
            "build)";
    return go;
}

} // namespace regscope::elf::detail
