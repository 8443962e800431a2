// The app's side of the wire: the loader's handshake line (connectors/loader/LoaderProtocol.h,
// used by LoaderClient). Only the exact line the real loader writes is accepted.
#include "connectors/loader/LoaderProtocol.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using regscope::loader::HandshakeCheck;
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    constexpr long long kPid = 4242;
    const HandshakeCheck check =
        regscope::loader::checkHandshake(line, REGSCOPE_VERSION_STRING, kPid);
    const std::string exact = std::to_string(regscope::loader::kCoreProtocolVersion) + "|" +
                              REGSCOPE_VERSION_STRING + "|stdio|4242|json";
    if ((check == HandshakeCheck::Ok) != (line == exact))
        std::abort();
    return 0;
}
