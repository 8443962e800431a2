/* regscope plugin ABI, version 1.
 *
 * A plugin is a shared object that exports ONE C function:
 *
 *     const regscope_plugin_descriptor* regscope_plugin_entry(void);
 *
 * The loader (regscope-loader, a sacrificial subprocess) calls it, checks abi_version against
 * REGSCOPE_PLUGIN_ABI_VERSION BEFORE touching any other field, then calls descriptor->init
 * with a host table. init calls host->register_impl once per implementation the plugin offers
 * (the init()-registration pattern, isolated in the loader's process).
 *
 * Pure C, no allocation crosses the boundary: every string the plugin hands over is copied by
 * the host during the call, so static storage is enough. Any other .so (without the entry
 * point) can still be loaded and inspected; it just registers nothing.
 */
#ifndef REGSCOPE_PLUGIN_H
#define REGSCOPE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define REGSCOPE_PLUGIN_ABI_VERSION 1u
#define REGSCOPE_PLUGIN_ENTRY_SYMBOL "regscope_plugin_entry"

/* Appends len bytes to the output of a process() call; may be called any number of times.
 * Returns 0, or non-zero when the host refuses more output (its bound is reached). */
typedef int (*regscope_output_fn)(void* out_ctx, const uint8_t* data, size_t len);

/* Transforms input into output. Returns 0 on success, anything else is reported as the
 * plugin's own error code (not a crash). */
typedef int (*regscope_process_fn)(const uint8_t* in, size_t in_len, regscope_output_fn out,
                                   void* out_ctx);

typedef struct regscope_impl {
    const char* kind;            /* "codec", "driver", "resolver"... */
    const char* name;            /* unique within the registry it lands in */
    const char* version;         /* semver, e.g. "1.2.0" */
    const char* description;     /* one short line */
    regscope_process_fn process; /* optional: NULL when the implementation has no process() */
} regscope_impl;

typedef struct regscope_host regscope_host;
struct regscope_host {
    uint32_t abi_version; /* the host's REGSCOPE_PLUGIN_ABI_VERSION */
    void* host_ctx;       /* opaque, pass it back unchanged */
    /* Returns 0 when registered, non-zero when refused (e.g. a duplicate name). */
    int (*register_impl)(const regscope_host* host, const regscope_impl* impl);
    /* Optional diagnostics line, shown in the loader's stderr tail. */
    void (*log)(const regscope_host* host, const char* message);
};

typedef struct regscope_plugin_descriptor {
    uint32_t abi_version; /* must be REGSCOPE_PLUGIN_ABI_VERSION; checked first */
    const char* name;     /* the plugin's name */
    const char* version;  /* the plugin's semver */
    /* Registers the plugin's implementations; returns 0 on success. */
    int (*init)(const regscope_host* host);
} regscope_plugin_descriptor;

typedef const regscope_plugin_descriptor* (*regscope_plugin_entry_fn)(void);

/* Marks the entry point exported (plugins built with -fvisibility=hidden keep it visible). */
#if defined(__GNUC__)
#define REGSCOPE_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define REGSCOPE_PLUGIN_EXPORT
#endif

#ifdef __cplusplus
}
#endif

#endif /* REGSCOPE_PLUGIN_H */
