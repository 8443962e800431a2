/* A well-behaved demo plugin: two codecs with process() functions. It is what a plugin
 * author copies; the fault plugins beside it show what the loader survives. Built with
 * REGSCOPE_CODEC_V2 it is its own next release: hex turns upper-case, the rest stays, which is
 * what a reload's shadow run should catch. */
#include "regscope_plugin.h"

#include <stdint.h>

static int rot13(const uint8_t* in, size_t n, regscope_output_fn out, void* ctx) {
    uint8_t buf[256];
    size_t used = 0;
    for (size_t i = 0; i < n; ++i) {
        uint8_t c = in[i];
        if (c >= 'a' && c <= 'z')
            c = (uint8_t)('a' + (c - 'a' + 13) % 26);
        else if (c >= 'A' && c <= 'Z')
            c = (uint8_t)('A' + (c - 'A' + 13) % 26);
        buf[used++] = c;
        if (used == sizeof buf) {
            if (out(ctx, buf, used) != 0)
                return 1;
            used = 0;
        }
    }
    return used ? (out(ctx, buf, used) != 0) : 0;
}

static int hex(const uint8_t* in, size_t n, regscope_output_fn out, void* ctx) {
#ifdef REGSCOPE_CODEC_V2
    static const char digits[] = "0123456789ABCDEF";
#else
    static const char digits[] = "0123456789abcdef";
#endif
    uint8_t buf[256];
    size_t used = 0;
    for (size_t i = 0; i < n; ++i) {
        buf[used++] = (uint8_t)digits[in[i] >> 4];
        buf[used++] = (uint8_t)digits[in[i] & 15];
        if (used == sizeof buf) {
            if (out(ctx, buf, used) != 0)
                return 1;
            used = 0;
        }
    }
    return used ? (out(ctx, buf, used) != 0) : 0;
}

static int init(const regscope_host* host) {
    static const regscope_impl impls[] = {
        {"codec", "rot13", "1.0.0", "Caesar shift by 13, its own inverse", rot13},
#ifdef REGSCOPE_CODEC_V2
        {"codec", "hex", "2.0.0", "upper-case hexadecimal encoding", hex},
#else
        {"codec", "hex", "1.1.0", "lower-case hexadecimal encoding", hex},
#endif
        {"codec", "identity", "0.9.0", "registered without a process function", 0},
    };
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; ++i)
        if (host->register_impl(host, &impls[i]) != 0 && host->log)
            host->log(host, "codec-demo: a registration was refused");
    return 0;
}

REGSCOPE_PLUGIN_EXPORT const regscope_plugin_descriptor* regscope_plugin_entry(void) {
#ifdef REGSCOPE_CODEC_V2
    static const regscope_plugin_descriptor descriptor = {REGSCOPE_PLUGIN_ABI_VERSION, "codec-demo",
                                                          "2.0.0", init};
#else
    static const regscope_plugin_descriptor descriptor = {REGSCOPE_PLUGIN_ABI_VERSION, "codec-demo",
                                                          "1.0.0", init};
#endif
    return &descriptor;
}
