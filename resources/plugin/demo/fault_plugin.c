/* One source, one fault per build: compiled once per REGSCOPE_FAULT_* define into the demo
 * folder and the test fixtures. Every fault here must kill or taint only regscope-loader.
 * Crashes go through a volatile pointer or raise(): GCC deletes a plain null write as UB. */
#define _GNU_SOURCE
#include "regscope_plugin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void crash_null(void) {
    volatile int* volatile p = 0; /* both volatile: the store itself must stay */
    *p = 42;
}

#if defined(REGSCOPE_FAULT_CTOR_SEGV)
#define FAULT_NAME "fault-ctor-segv"
__attribute__((constructor)) static void ctor(void) {
    crash_null();
}

#elif defined(REGSCOPE_FAULT_CTOR_LOOP)
#define FAULT_NAME "fault-ctor-loop"
__attribute__((constructor)) static void ctor(void) {
    volatile unsigned long spins = 0;
    for (;;)
        ++spins;
}

#elif defined(REGSCOPE_FAULT_EXIT)
#define FAULT_NAME "fault-exit-during-load"
__attribute__((constructor)) static void ctor(void) {
    exit(0);
}
#endif

#ifndef FAULT_NAME
#if defined(REGSCOPE_FAULT_PROCESS_SEGV)
#define FAULT_NAME "fault-process-segv"
#elif defined(REGSCOPE_FAULT_ABORT)
#define FAULT_NAME "fault-abort"
#elif defined(REGSCOPE_FAULT_MEMORY_BOMB)
#define FAULT_NAME "fault-memory-bomb"
#elif defined(REGSCOPE_FAULT_FORK)
#define FAULT_NAME "fault-fork"
#elif defined(REGSCOPE_FAULT_SOCKET)
#define FAULT_NAME "fault-socket"
#elif defined(REGSCOPE_FAULT_STDOUT_GARBAGE)
#define FAULT_NAME "fault-stdout-garbage"
#elif defined(REGSCOPE_FAULT_WRONG_ABI)
#define FAULT_NAME "fault-wrong-abi"
#else
#error "define one REGSCOPE_FAULT_*"
#endif
#endif

static int crash_in_process(const uint8_t* in, size_t n, regscope_output_fn out, void* ctx) {
    (void)in;
    (void)n;
    (void)out;
    (void)ctx;
    crash_null();
    return 0;
}

static int init(const regscope_host* host) {
#if defined(REGSCOPE_FAULT_ABORT)
    abort();
#elif defined(REGSCOPE_FAULT_MEMORY_BOMB)
    /* Touch every page so the bomb is real; RLIMIT_AS stops it, then it aborts like any
     * xmalloc-style library would. */
    size_t mib = 0;
    for (;;) {
        char* block = malloc(16u << 20);
        if (!block) {
            fprintf(stderr, "memory bomb: malloc failed after %zu MiB: out of memory\n", mib);
            abort();
        }
        memset(block, 0x5a, 16u << 20);
        mib += 16;
    }
#elif defined(REGSCOPE_FAULT_FORK)
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    fprintf(stderr, "fork attempt: %s\n", pid < 0 ? strerror(errno) : "succeeded");
#elif defined(REGSCOPE_FAULT_SOCKET)
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "socket attempt: %s\n", strerror(errno));
    } else {
        struct sockaddr_in addr;
        memset(&addr, 0, sizeof addr);
        addr.sin_family = AF_INET;
        addr.sin_port = htons(9);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int rc = connect(fd, (struct sockaddr*)&addr, sizeof addr);
        fprintf(stderr, "connect attempt: %s\n", rc < 0 ? strerror(errno) : "connected");
        close(fd);
    }
#elif defined(REGSCOPE_FAULT_STDOUT_GARBAGE)
    /* A chatty library prints to stdout; a hostile one writes into every pipe it finds. */
    printf("GARBAGE FROM THE PLUGIN\n");
    fflush(stdout);
    for (int fd = 3; fd < 64; ++fd) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
            (void)!write(fd, "GARBAGE!GARBAGE!", 16);
    }
#endif
    static const regscope_impl impl = {"codec", FAULT_NAME, "0.0.1", "demo of a misbehaving plugin",
                                       crash_in_process};
    return host->register_impl(host, &impl);
}

REGSCOPE_PLUGIN_EXPORT const regscope_plugin_descriptor* regscope_plugin_entry(void) {
#if defined(REGSCOPE_FAULT_WRONG_ABI)
    static const regscope_plugin_descriptor descriptor = {999u, FAULT_NAME, "0.0.1", init};
#else
    static const regscope_plugin_descriptor descriptor = {REGSCOPE_PLUGIN_ABI_VERSION, FAULT_NAME,
                                                          "0.0.1", init};
#endif
    return &descriptor;
}
