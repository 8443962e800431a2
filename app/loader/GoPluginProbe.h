#pragma once
// go-plugin (HashiCorp RPC) binaries are executables: they are not loaded but started, in the
// sandbox (no network but Unix sockets, no fork, limits), with the host's magic cookie. The
// probe reads the handshake line CORE|APP|NETWORK|ADDRESS|PROTOCOL, asks grpc.health.v1 for
// a grpc plugin, reports a netrpc one, and kills it.

#include "app/loader/Sandbox.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <span>
#include <string>

namespace regscope::loader {

struct GoPluginCookie {
    std::string key, value;
    std::string source; // "given", or the host whose built-in cookie it is
};

// The cookie to use: the given one, else a built-in (Terraform, Vault, Packer, Nomad) whose
// key the binary mentions. Empty key: none.
GoPluginCookie chooseCookie(std::span<const std::byte> binary, const std::string& givenKey,
                            const std::string& givenValue);

struct ProbeRequest {
    int fd = -1; // the pinned file (executed through it, never by path)
    GoPluginCookie cookie;
    int expectedProtocol = 0; // the host's app protocol version; 0: any
    int timeoutMs = 5000;
    Limits limits;
};

// {"outcome": "ok" | "cookie_refused" | "protocol_mismatch" | "no_handshake", "message",
//  "handshake": {...}, "health": {...}, "cookie": {...}, "stderr"}
nlohmann::json probeGoPlugin(const ProbeRequest& request);

// grpc.health.v1.Health/Check over the Unix socket; {"status": "SERVING" | ..., "error"}.
nlohmann::json grpcHealthCheck(const std::string& socketPath, const std::string& service,
                               int timeoutMs);

} // namespace regscope::loader
