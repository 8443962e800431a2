#pragma once
// The discovery HTTP API (PROTOCOLS.md §1) without the transport: a request in, an
// enveloped reply out, now or later (a parked long-poll). Runs on the server's io thread.

#include "app/discoveryd/ServerMetrics.h"
#include "models/discovery/DiscoveryRegistry.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace regscope::discoveryd {

struct ApiReply {
    unsigned httpStatus = 200;
    std::string contentType = "application/json; charset=utf-8";
    std::string body;
};

using Responder = std::function<void(ApiReply)>;

struct ApiRequest {
    std::string_view method; // "GET", "POST"
    std::string_view target; // path?query
    std::string_view contentType;
    std::string_view body;
};

class DiscoveryApi {
public:
    DiscoveryApi(discovery::DiscoveryRegistry& registry, ServerMetrics& metrics);

    // The address /discovery/nodes reports (known once the server is bound).
    void setSelfAddress(std::string addr) { m_selfAddr = std::move(addr); }

    // Answers through respond, at once or later. Returns the id of a parked long-poll so the
    // transport can forget it if its client goes away.
    std::optional<discovery::PollId> handle(const ApiRequest& request, Responder respond);

    // A reply for requests the transport refuses before parsing them (too large...).
    ApiReply refuse(unsigned httpStatus, std::string_view endpoint, std::string_view message);

private:
    ApiReply reply(std::string_view endpoint, discovery::Code code, std::string_view message,
                   const nlohmann::json* data = nullptr, unsigned httpStatus = 200);
    ApiReply replyText(std::string_view endpoint, discovery::Code code, std::string_view message,
                       std::string_view dataJson);

    discovery::DiscoveryRegistry& m_registry;
    ServerMetrics& m_metrics;
    std::string m_selfAddr;
};

} // namespace regscope::discoveryd
