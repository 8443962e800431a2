// The loader's side of the wire (app/loader/FrameIo): whatever the parent writes to its stdin
// is read as 4-byte big-endian length + JSON frames. A frame that parses must survive a
// write/read round trip unchanged; anything else ends the stream without a crash.
#include "app/loader/FrameIo.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

namespace {

int memfdWith(const uint8_t* data, size_t size) {
    const int fd = ::memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        std::abort();
    for (size_t done = 0; done < size;) {
        const ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0)
            std::abort();
        done += static_cast<size_t>(n);
    }
    ::lseek(fd, 0, SEEK_SET);
    return fd;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const int in = memfdWith(data, size);
    const int out = ::memfd_create("fuzz-out", MFD_CLOEXEC);
    while (auto frame = regscope::loader::readFrame(in)) {
        if (!frame->is_object())
            std::abort(); // readFrame promises objects only
        ::ftruncate(out, 0);
        ::lseek(out, 0, SEEK_SET);
        if (!regscope::loader::writeFrame(out, *frame))
            continue; // too large once re-encoded: refused, not written
        ::lseek(out, 0, SEEK_SET);
        const auto again = regscope::loader::readFrame(out);
        // Invalid UTF-8 is replaced on the way out, so compare only what re-reads.
        if (!again)
            std::abort();
        if (again->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) !=
            frame->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
            std::abort();
    }
    ::close(in);
    ::close(out);
    return 0;
}
