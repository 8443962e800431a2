#pragma once
// What a file is, read without loading it: sha256, ELF class and machine, SONAME, build-id,
// DT_NEEDED, RPATH/RUNPATH, the interpreter, exported and undefined dynamic symbols with the
// symbol versions they require, missing dependencies (resolved as ld.so would, without
// loading anything) and the plugin kind (our C ABI, Qt, GStreamer, Python, PAM, Go).
//
// Qt-free, so regscope-loader (before dlopen) and the app (whatever the loader did) read the
// same facts with the same code. The result is the JSON object of the loader's "facts" frame
// (LoaderProtocol.h). A field that could not be read is null and `unknown[field]` says why;
// an empty list always means "none".

#include <nlohmann/json.hpp>

#include <cstddef>
#include <span>
#include <string>

namespace regscope::elf {

struct FactsOptions {
    std::string fileName;          // for the Python ABI tag ("_ssl.cpython-311-x86_64...so")
    std::string originDirectory;   // $ORIGIN in RPATH/RUNPATH; empty: not expanded
    std::size_t maxSymbols = 4000; // per list (exports, undefined)
    std::size_t maxDependencies = 256;
    bool resolveDependencies = true;
};

// Facts of the bytes of a whole file (already read: the loader reads through its pinned fd).
nlohmann::json readFacts(std::span<const std::byte> bytes, const FactsOptions& options);

// Opens, maps and reads `path` (the app's own reading). Never throws; an unreadable file gives
// the facts it can ({"unknown": {"file": "...: No such file"}}).
nlohmann::json readFactsFromFile(const std::string& path, std::size_t maxBytes = 512u << 20);

std::string sha256Hex(std::span<const std::byte> bytes);

} // namespace regscope::elf
