#include "connectors/loader/elf/Symboliser.h"

#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <unistd.h>

namespace regscope::elf {
namespace {

char* g_debuginfoPath = nullptr; // libdw's default: .debug, /usr/lib/debug and build-id

const Dwfl_Callbacks kOffline = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &g_debuginfoPath,
};

} // namespace

Symboliser::~Symboliser() {
    for (auto& [path, dwfl] : m_sessions)
        if (dwfl)
            dwfl_end(dwfl);
}

Dwfl* Symboliser::session(const std::string& path) {
    if (auto it = m_sessions.find(path); it != m_sessions.end())
        return it->second;
    Dwfl* dwfl = dwfl_begin(&kOffline);
    if (dwfl) {
        dwfl_report_begin(dwfl);
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        // Bias 0: addresses are the file's own virtual addresses (load-base relative).
        Dwfl_Module* module =
            fd >= 0 ? dwfl_report_elf(dwfl, path.c_str(), path.c_str(), fd, 0, false) : nullptr;
        if (!module && fd >= 0)
            ::close(fd);
        dwfl_report_end(dwfl, nullptr, nullptr);
        if (!module) {
            dwfl_end(dwfl);
            dwfl = nullptr;
        }
    }
    m_sessions[path] = dwfl;
    return dwfl;
}

std::optional<SourceLocation> Symboliser::lookup(const std::string& path, std::uint64_t offset,
                                                 bool exact, bool withLines) {
    Dwfl* dwfl = session(path);
    if (!dwfl)
        return std::nullopt;
    const Dwarf_Addr addr = exact || offset == 0 ? offset : offset - 1;
    Dwfl_Module* module = dwfl_addrmodule(dwfl, addr);
    if (!module)
        return std::nullopt;
    SourceLocation out;
    if (const char* name = dwfl_module_addrname(module, addr))
        out.function = name;
    if (Dwfl_Line* line = withLines ? dwfl_module_getsrc(module, addr) : nullptr) {
        int lineNo = 0;
        if (const char* file = dwfl_lineinfo(line, nullptr, &lineNo, nullptr, nullptr, nullptr)) {
            out.file = file;
            out.line = lineNo;
        }
    }
    if (out.function.empty() && out.file.empty())
        return std::nullopt;
    return out;
}

} // namespace regscope::elf
