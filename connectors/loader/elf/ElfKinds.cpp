// Plugin kinds, recognised from the file alone: our C ABI, Qt (.note.qt.metadata), GStreamer
// (gst_plugin_<name>_get_desc and the GstPluginDesc it returns), Python (PyInit_<name>), PAM
// (pam_sm_*), Go executables and go-plugin binaries (.go.buildinfo).

#include "connectors/loader/elf/ElfInternal.h"

#include <algorithm>
#include <cstring>
#include <regex>
#include <unordered_map>

namespace regscope::elf::detail {
namespace {

constexpr std::uint32_t kQtNoteType = 0x74510001; // "Qt" + 1
constexpr std::size_t kMaxCborDepth = 16;

// --- a small CBOR reader (RFC 8949) for Qt's plugin metadata; integer keys become strings.
struct Cbor {
    std::span<const std::byte> in;
    std::size_t pos = 0;
    bool ok = true;

    std::uint8_t byte() {
        if (pos >= in.size()) {
            ok = false;
            return 0;
        }
        return static_cast<std::uint8_t>(in[pos++]);
    }
    std::uint64_t argument(std::uint8_t info) {
        if (info < 24)
            return info;
        const int n = info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : info == 27 ? 8 : 0;
        if (n == 0) {
            ok = false;
            return 0;
        }
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i)
            v = (v << 8) | byte();
        return v;
    }
    std::string text(std::uint64_t n) {
        if (pos + n > in.size()) {
            ok = false;
            return {};
        }
        std::string s(reinterpret_cast<const char*>(in.data() + pos), n);
        pos += n;
        return s;
    }
    nlohmann::json value(std::size_t depth = 0) {
        if (depth > kMaxCborDepth || !ok) {
            ok = false;
            return nullptr;
        }
        const std::uint8_t head = byte();
        const std::uint8_t major = head >> 5, info = head & 31;
        const bool indefinite = info == 31;
        switch (major) {
        case 0:
            return argument(info);
        case 1:
            return -1 - static_cast<std::int64_t>(argument(info));
        case 2:
        case 3: {
            if (indefinite) { // chunks until the break byte
                std::string all;
                while (ok && pos < in.size() && in[pos] != std::byte{0xff})
                    all += value(depth + 1).get<std::string>();
                ++pos;
                return all;
            }
            return text(argument(info));
        }
        case 4: {
            nlohmann::json array = nlohmann::json::array();
            const std::uint64_t n = indefinite ? UINT64_MAX : argument(info);
            for (std::uint64_t i = 0; i < n && ok; ++i) {
                if (indefinite && pos < in.size() && in[pos] == std::byte{0xff}) {
                    ++pos;
                    break;
                }
                array.push_back(value(depth + 1));
            }
            return array;
        }
        case 5: {
            nlohmann::json map = nlohmann::json::object();
            const std::uint64_t n = indefinite ? UINT64_MAX : argument(info);
            for (std::uint64_t i = 0; i < n && ok; ++i) {
                if (indefinite && pos < in.size() && in[pos] == std::byte{0xff}) {
                    ++pos;
                    break;
                }
                const nlohmann::json key = value(depth + 1);
                const std::string k = key.is_string() ? key.get<std::string>() : key.dump();
                map[k] = value(depth + 1);
            }
            return map;
        }
        case 6:
            (void)argument(info); // a tag: keep the tagged value
            return value(depth + 1);
        default:
            if (info == 20)
                return false;
            if (info == 21)
                return true;
            if (info == 25 || info == 26 || info == 27) {
                const std::uint64_t bits = argument(info);
                if (info == 27) {
                    double d;
                    std::memcpy(&d, &bits, sizeof d);
                    return d;
                }
                if (info == 26) {
                    const auto b32 = static_cast<std::uint32_t>(bits);
                    float f;
                    std::memcpy(&f, &b32, sizeof f);
                    return f;
                }
                return nullptr; // half floats: not in Qt metadata
            }
            return nullptr;
        }
    }
};

std::optional<nlohmann::json> readQtMetadata(const Image& image) {
    Elf_Scn* scn = image.sectionNamed(".note.qt.metadata");
    if (!scn)
        return std::nullopt;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data)
        return std::nullopt;
    GElf_Nhdr note;
    size_t nameOffset = 0, descOffset = 0;
    if (gelf_getnote(data, 0, &note, &nameOffset, &descOffset) == 0 || note.n_type != kQtNoteType ||
        note.n_descsz < 5)
        return std::nullopt;
    const auto* desc = static_cast<const std::byte*>(data->d_buf) + descOffset;
    // Header: format version, Qt major, Qt minor, requirements; then one CBOR map.
    const auto major = static_cast<int>(desc[1]), minor = static_cast<int>(desc[2]);
    Cbor cbor{{desc + 4, note.n_descsz - 4}};
    nlohmann::json map = cbor.value();
    nlohmann::json qt = {{"kind", "qt"},
                         {"qtVersion", std::to_string(major) + "." + std::to_string(minor)},
                         {"iid", nullptr},
                         {"className", nullptr},
                         {"metaData", nullptr}};
    if (!cbor.ok || !map.is_object()) {
        qt["unknown"] = {{"metadata", "the CBOR metadata is malformed"}};
        return qt;
    }
    // QtPluginMetaDataKeys: 2 IID, 3 ClassName, 4 MetaData, 5 URI.
    if (map.contains("2"))
        qt["iid"] = map["2"];
    if (map.contains("3"))
        qt["className"] = map["3"];
    if (map.contains("4"))
        qt["metaData"] = map["4"];
    if (map.contains("5"))
        qt["uri"] = map["5"];
    return qt;
}

// R_X86_64_RELATIVE addends by offset: pointers inside a PIC data structure.
std::unordered_map<std::uint64_t, std::uint64_t> relativeRelocs(const Image& image) {
    std::unordered_map<std::uint64_t, std::uint64_t> out;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(image.elf, scn)) != nullptr;) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_RELA || shdr.sh_entsize == 0)
            continue;
        Elf_Data* data = elf_getdata(scn, nullptr);
        const std::size_t n = data ? shdr.sh_size / shdr.sh_entsize : 0;
        for (std::size_t i = 0; i < n; ++i) {
            GElf_Rela rela;
            if (gelf_getrela(data, static_cast<int>(i), &rela) &&
                GELF_R_TYPE(rela.r_info) == R_X86_64_RELATIVE)
                out.emplace(rela.r_offset, static_cast<std::uint64_t>(rela.r_addend));
        }
    }
    return out;
}

// gst_plugin_<name>_get_desc is `lea desc(%rip),%rax; ret` on x86-64: follow it to the
// GstPluginDesc and read its strings through their relocations.
nlohmann::json readGstDesc(const Image& image, const DynamicSymbol& getDesc) {
    nlohmann::json gst = {{"kind", "gstreamer"}, {"name", nullptr}};
    const auto code = image.atAddress(getDesc.value, 8);
    if (image.ehdr.e_machine != EM_X86_64 || code.size() < 8 || code[0] != std::byte{0x48} ||
        code[1] != std::byte{0x8d} || code[2] != std::byte{0x05}) {
        gst["unknown"] = {{"desc", "gst_plugin_desc is not reachable without running code"}};
        return gst;
    }
    std::int32_t disp = 0;
    std::memcpy(&disp, code.data() + 3, 4);
    const std::uint64_t desc = getDesc.value + 7 + static_cast<std::int64_t>(disp);
    const auto relocs = relativeRelocs(image);
    auto pointerAt = [&](std::uint64_t at) -> std::optional<std::uint64_t> {
        if (auto it = relocs.find(at); it != relocs.end())
            return it->second;
        const auto raw = image.atAddress(at, 8);
        if (raw.size() < 8)
            return std::nullopt;
        std::uint64_t v = 0;
        std::memcpy(&v, raw.data(), 8);
        return v ? std::optional(v) : std::nullopt;
    };
    const auto ints = image.atAddress(desc, 8);
    if (ints.size() == 8) {
        std::int32_t major = 0, minor = 0;
        std::memcpy(&major, ints.data(), 4);
        std::memcpy(&minor, ints.data() + 4, 4);
        gst["gstVersion"] = std::to_string(major) + "." + std::to_string(minor);
    }
    // GstPluginDesc: major, minor, name, description, plugin_init, version, license, source,
    // package, origin, release_datetime.
    const std::pair<const char*, int> fields[] = {
        {"name", 8},    {"description", 16}, {"version", 32}, {"license", 40},
        {"source", 48}, {"package", 56},     {"origin", 64},  {"releaseDatetime", 72}};
    for (const auto& [field, offset] : fields) {
        const auto ptr = pointerAt(desc + static_cast<std::uint64_t>(offset));
        const auto text = ptr ? image.stringAt(*ptr, 512) : std::nullopt;
        gst[field] = text ? nlohmann::json(*text) : nlohmann::json(nullptr);
    }
    return gst;
}

bool hasExport(const std::vector<DynamicSymbol>& exports, const std::string& name) {
    return std::binary_search(
        exports.begin(), exports.end(), DynamicSymbol{name, 0, 0, true},
        [](const DynamicSymbol& a, const DynamicSymbol& b) { return a.name < b.name; });
}

} // namespace

nlohmann::json detectKind(const Image& image, const std::vector<DynamicSymbol>& exports,
                          const std::string& fileName) {
    if (auto go = readGoBuildInfo(image))
        return *go;
    if (hasExport(exports, "regscope_plugin_entry"))
        return {{"kind", "regscope"}};
    if (auto qt = readQtMetadata(image))
        return *qt;
    static const std::regex gstSymbol("gst_plugin_(.+)_get_desc");
    for (const auto& s : exports) {
        std::smatch m;
        if (std::regex_match(s.name, m, gstSymbol))
            return readGstDesc(image, s);
    }
    for (const auto& s : exports) {
        if (s.name.starts_with("PyInit_")) {
            nlohmann::json py = {
                {"kind", "python"}, {"module", s.name.substr(7)}, {"abiTag", nullptr}};
            static const std::regex tag(R"(\.((cpython|pypy)[^.]*|abi3)\.so$)");
            std::smatch m;
            if (std::regex_search(fileName, m, tag))
                py["abiTag"] = m[1].str();
            else
                py["unknown"] = {{"abiTag", "the file name carries no ABI tag"}};
            return py;
        }
    }
    nlohmann::json pam = nlohmann::json::array();
    for (const char* fn : {"pam_sm_authenticate", "pam_sm_setcred", "pam_sm_acct_mgmt",
                           "pam_sm_open_session", "pam_sm_close_session", "pam_sm_chauthtok"})
        if (hasExport(exports, fn))
            pam.push_back(fn);
    if (!pam.empty())
        return {{"kind", "pam"}, {"provides", pam}};
    return {{"kind", "plain"}};
}

} // namespace regscope::elf::detail
