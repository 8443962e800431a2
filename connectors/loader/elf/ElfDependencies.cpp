// DT_NEEDED resolved as ld.so would, without loading anything (a safe `ldd`): per object,
// its RPATH when it has no RUNPATH, its RUNPATH, then ld.so.conf's directories and the
// default ones. A candidate counts only when its ELF class and machine match.

#include "connectors/loader/elf/ElfInternal.h"

#include <deque>
#include <fcntl.h>
#include <fstream>
#include <glob.h>
#include <set>
#include <unistd.h>

namespace regscope::elf::detail {
namespace {

constexpr int kMaxConfDepth = 4;

void readConf(const std::string& path, std::vector<std::string>& dirs, int depth) {
    if (depth > kMaxConfDepth)
        return;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (const auto hash = line.find('#'); hash != std::string::npos)
            line.resize(hash);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
            line.pop_back();
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos)
            continue;
        line = line.substr(first);
        if (line.starts_with("include")) {
            std::string pattern = line.substr(7);
            pattern = pattern.substr(std::min(pattern.find_first_not_of(" \t"), pattern.size()));
            if (!pattern.starts_with('/'))
                pattern = path.substr(0, path.find_last_of('/') + 1) + pattern;
            glob_t g{};
            if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
                for (size_t i = 0; i < g.gl_pathc; ++i)
                    readConf(g.gl_pathv[i], dirs, depth + 1);
            ::globfree(&g);
        } else if (line.starts_with('/')) {
            dirs.push_back(line);
        }
    }
}

const std::vector<std::string>& systemDirectories() {
    static const std::vector<std::string> dirs = [] {
        std::vector<std::string> out;
        readConf("/etc/ld.so.conf", out, 0);
        for (const char* d : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
                              "/usr/lib64", "/lib", "/usr/lib"})
            out.emplace_back(d);
        return out;
    }();
    return dirs;
}

struct Object {
    std::vector<std::string> needed, rpath, runpath;
};

// Opens a candidate: matching class and machine, and its own dynamic entries.
std::optional<Object> openCandidate(const std::string& path, unsigned cls, unsigned machine) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    ElfPtr elf(elf_begin(fd, ELF_C_READ_MMAP, nullptr));
    std::optional<Object> out;
    GElf_Ehdr ehdr;
    if (elf && elf_kind(elf.get()) == ELF_K_ELF && gelf_getehdr(elf.get(), &ehdr) &&
        static_cast<unsigned>(gelf_getclass(elf.get())) == cls && ehdr.e_machine == machine) {
        out.emplace();
        for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf.get(), scn)) != nullptr;) {
            GElf_Shdr shdr;
            if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC || shdr.sh_entsize == 0)
                continue;
            Elf_Data* data = elf_getdata(scn, nullptr);
            const std::size_t n = data ? shdr.sh_size / shdr.sh_entsize : 0;
            for (std::size_t i = 0; i < n; ++i) {
                GElf_Dyn dyn;
                if (!gelf_getdyn(data, static_cast<int>(i), &dyn) || dyn.d_tag == DT_NULL)
                    break;
                const char* s =
                    dyn.d_tag == DT_NEEDED || dyn.d_tag == DT_RPATH || dyn.d_tag == DT_RUNPATH
                        ? elf_strptr(elf.get(), shdr.sh_link, dyn.d_un.d_val)
                        : nullptr;
                if (!s)
                    continue;
                if (dyn.d_tag == DT_NEEDED)
                    out->needed.emplace_back(s);
                else if (dyn.d_tag == DT_RPATH)
                    out->rpath = splitPath(s);
                else
                    out->runpath = splitPath(s);
            }
        }
    }
    elf.reset();
    ::close(fd);
    return out;
}

std::string expandOrigin(std::string dir, const std::string& origin) {
    for (const char* token : {"${ORIGIN}", "$ORIGIN"}) {
        const std::string t(token);
        for (auto at = dir.find(t); at != std::string::npos; at = dir.find(t))
            dir.replace(at, t.size(), origin.empty() ? std::string("$ORIGIN") : origin);
    }
    return dir;
}

std::string directoryOf(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

} // namespace

void resolveDependencies(const Image& image, const std::vector<std::string>& needed,
                         const std::vector<std::string>& rpath,
                         const std::vector<std::string>& runpath, const std::string& origin,
                         std::size_t maxDependencies, nlohmann::json& facts) {
    const auto cls = static_cast<unsigned>(gelf_getclass(image.elf));
    const unsigned machine = image.ehdr.e_machine;
    struct Pending {
        std::string name, neededBy, origin;
        std::vector<std::string> dirs; // the requesting object's own search directories
    };
    auto dirsOf = [](const std::vector<std::string>& rp, const std::vector<std::string>& rr) {
        return rr.empty() ? rp : rr; // DT_RPATH is ignored when DT_RUNPATH is present
    };
    std::deque<Pending> queue;
    for (const auto& n : needed)
        queue.push_back({n, "(this file)", origin, dirsOf(rpath, runpath)});
    std::set<std::string> seen;
    nlohmann::json resolved = nlohmann::json::array();
    nlohmann::json missing = nlohmann::json::array();
    bool truncated = false;
    while (!queue.empty()) {
        Pending p = std::move(queue.front());
        queue.pop_front();
        if (!seen.insert(p.name).second)
            continue;
        if (resolved.size() + missing.size() >= maxDependencies) {
            truncated = true;
            break;
        }
        std::vector<std::string> candidates;
        if (p.name.find('/') != std::string::npos) {
            candidates.push_back(p.name);
        } else {
            for (const auto& d : p.dirs)
                candidates.push_back(expandOrigin(d, p.origin) + "/" + p.name);
            for (const auto& d : systemDirectories())
                candidates.push_back(d + "/" + p.name);
        }
        bool found = false;
        for (const auto& c : candidates) {
            auto object = openCandidate(c, cls, machine);
            if (!object)
                continue;
            resolved.push_back({{"name", p.name}, {"path", c}, {"neededBy", p.neededBy}});
            for (const auto& n : object->needed)
                queue.push_back(
                    {n, p.name, directoryOf(c), dirsOf(object->rpath, object->runpath)});
            found = true;
            break;
        }
        if (!found)
            missing.push_back({{"name", p.name}, {"neededBy", p.neededBy}});
    }
    facts["dependencies"] = std::move(resolved);
    facts["missing"] = std::move(missing);
    facts["dependenciesTruncated"] = truncated;
}

} // namespace regscope::elf::detail
