#pragma once
// The debug endpoint: lets regscope attach to this process and follow every Registry in it
// (docs/attach-protocol.md). Two ways to turn it on:
//   - no code change: start the process with REGSCOPE_DEBUG=1; the first Registry constructed
//     starts the endpoint, and every Registry the process creates is exposed under its
//     typeName;
//   - explicitly:
//       #include <regscope/registry.h>
//       namespace dbg = regscope::registry::debug;
//       auto path = dbg::Start({.processName = "myapp"});   // std::expected<std::string, Error>
//       ...
//       dbg::Stop();
// Without either, the library opens nothing and starts no thread.
//
// What it costs the host: one thread (poll loop) while running; lookups are untouched;
// writers append each change to a bounded per-registry log (only while a client is attached)
// and wake the thread. Clients are served from a bounded queue each; a slow one is dropped.
// Only peers of this process's uid (or root) are served. After fork() the child serves
// nothing (it may call Start() itself).

#include "models/registry/Audit.h"
#include "models/registry/Error.h"

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <string>

namespace regscope::registry::debug {

struct EndpointOptions {
    std::string processName{}; // shown by regscope; empty: the executable's base name
    std::string socketPath{};  // empty: $REGSCOPE_DEBUG_SOCKET, else the rule in the protocol doc
    std::shared_ptr<AuditSink> audit{}; // attach / refusal / drop records; null: JSON lines on clog
    std::chrono::milliseconds stallTimeout{5000};    // a client that reads nothing this long goes
    std::size_t clientQueueBytes = 8u * 1024 * 1024; // per-client output bound
};

// Starts serving (idempotent: a second call returns the running endpoint's path). Returns the
// socket path. Errors: EndpointError (the directory is unsafe, bind failed, ...).
std::expected<std::string, Error> Start(EndpointOptions options = {});
// Stops serving: clients get an error frame ("shutting_down"), the socket file is removed and
// the thread joined. Safe to call when not running.
void Stop();
bool Running();
// The socket path while running, else empty.
std::string SocketPath();
void SetProcessName(std::string name);
// Where the socket goes when no path is given (the directory rule of the protocol doc).
std::string DefaultSocketDirectory();

// How many clients are being served now (for tests and the demo host's status line).
std::size_t ClientCount();

} // namespace regscope::registry::debug

namespace regscope::registry {

// The path of the shared object (or executable) holding `address`, e.g. the caller of
// Register; empty when unknown. Used for EntryInfo::registeredBy.
std::string SharedObjectOf(const void* address);

class RegistryCore;
namespace detail {
// Called by RegistryCore's constructor (last) and destructor (first).
void EndpointRegistryCreated(RegistryCore& registry);
void EndpointRegistryDestroyed(RegistryCore& registry);
} // namespace detail

} // namespace regscope::registry
