#pragma once
// The wire between regscope (LoaderClient) and regscope-loader. std-only: the loader includes
// it too. Modelled on hashicorp go-plugin (PROTOCOLS.md §3), with the socket dropped:
//
//   env:  REGSCOPE_LOADER_COOKIE=<kCookieValue>   (anything else: "this is a plugin loader", 1)
//   line: "1|<app version>|stdio|<pid>|json\n"    CORE-VERSION|APP-VERSION|NETWORK|ADDR|PROTOCOL
//   then: frames both ways: 4-byte big-endian length, then that many bytes of UTF-8 JSON;
//         a length of 0 or above kMaxFrameBytes is a protocol error (the peer is killed).
//
// Parent → loader: {"op":"load", path, trustedKeys[hex], requireSignature, knownNames[],
//                   limits{asBytes,cpuSeconds,nofile}, pauseAfterVerify}
//                  {"op":"resume"}                  (only after pauseAfterVerify)
//                  {"op":"invoke", id, name, payload(base64)}
//                  {"op":"unload"}                  (the loader exits 0)
// Loader → parent: {"ev":"facts", loadedAs:"/proc/self/fd/N", facts{...}}  (in verify, before
//                   any plugin code runs: connectors/loader/elf/ElfFacts.h)
//                  {"ev":"stage", stage, state:"start"|"end", ok, ms, error{code,message}}
//                  {"ev":"report", ...}             (after stage ready, or a refusal)
//                  {"ev":"result", id, ok, status, output(base64), ms, error}
//                  {"ev":"log", message}
// The loader's stderr is a separate pipe: plugin chatter plus, on a fatal signal, one line
// "REGSCOPE-FATAL signal=N addr=0x… code=C stage=S pc=0x…" and a backtrace; last of all, from
// the relay process the app started, "REGSCOPE-RUSAGE maxrss_kib=N utime_us=N stime_us=N"
// (the loader's own figures, from wait4). Stage and error names: models/LoaderCodes.h.

#include "models/LoaderCodes.h"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace regscope::loader {

inline constexpr int kCoreProtocolVersion = 1;
inline constexpr std::string_view kCookieKey = "REGSCOPE_LOADER_COOKIE";
inline constexpr std::string_view kCookieValue = "7d1c0f6e-regscope-sacrificial-loader";
inline constexpr std::string_view kNetwork = "stdio";
inline constexpr std::string_view kProtocol = "json";
inline constexpr std::size_t kMaxHandshakeBytes = 256;
inline constexpr std::uint32_t kMaxFrameBytes = 16u << 20;
inline constexpr std::size_t kMaxInvokeOutputBytes = 8u << 20;
inline constexpr std::string_view kFatalMarker = "REGSCOPE-FATAL";
inline constexpr std::string_view kExitMarker = "REGSCOPE-EXIT";
inline constexpr std::string_view kRusageMarker = "REGSCOPE-RUSAGE";

enum class HandshakeCheck : std::uint8_t { Ok, Garbage, Version };

// Checks a handshake line (without its '\n') against this app's version and the loader's pid:
// exactly five '|'-separated fields, canonical decimal numbers (no sign, spaces or leading 0).
inline HandshakeCheck checkHandshake(std::string_view line, std::string_view appVersion,
                                     long long pid) {
    std::string_view fields[5];
    std::size_t count = 0;
    for (;;) {
        const auto bar = line.find('|');
        if (count == 5)
            return HandshakeCheck::Garbage;
        fields[count++] = line.substr(0, bar);
        if (bar == std::string_view::npos)
            break;
        line.remove_prefix(bar + 1);
    }
    if (count != 5)
        return HandshakeCheck::Garbage;
    const auto number = [](std::string_view text, long long& out) {
        const auto* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, out);
        const bool canonical =
            !text.empty() && text.front() != '-' && (text.size() == 1 || text.front() != '0');
        return canonical && ec == std::errc{} && ptr == end;
    };
    long long core = 0;
    if (!number(fields[0], core) || core != kCoreProtocolVersion || fields[1] != appVersion)
        return HandshakeCheck::Version;
    long long peer = 0;
    // pid 0: any positive pid (a relay spawned the loader, which names itself).
    if (fields[2] != kNetwork || !number(fields[3], peer) || peer <= 0 ||
        (pid != 0 && peer != pid) || fields[4] != kProtocol)
        return HandshakeCheck::Garbage;
    return HandshakeCheck::Ok;
}

} // namespace regscope::loader
