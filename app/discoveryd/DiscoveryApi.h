#pragma once
// The discovery HTTP API (PROTOCOLS.md §1) without the transport: a request in, an
// enveloped reply out, now or later (a parked long-poll). Called from every io thread at
// once: the registry and the metrics lock themselves, the fetch/all cache has its lock.
// Requests are dispatched through a route table (path, method, handler).

#include "app/discoveryd/ServerMetrics.h"
#include "models/discovery/DiscoveryRegistry.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace regscope::discoveryd {

struct ApiReply {
    unsigned httpStatus = 200;
    std::string_view contentType = "application/json; charset=utf-8"; // a literal
    // Shared and immutable: replies built from the same registry state (fetch/all) are one
    // buffer however many clients are still being sent it.
    std::shared_ptr<const std::string> body;
    // The body may be handed to other clients too (fetch/all): the transport then counts
    // its bytes once however many hold it; any other body is one client's alone.
    bool sharable = false;

    std::size_t size() const { return body ? body->size() : 0; }
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
    ~DiscoveryApi();

    // The address /discovery/nodes reports (known once the server is bound).
    void setSelfAddress(std::string addr) { m_selfAddr = std::move(addr); }
    // Asked before a big reply is built: would `bytes` more fit the write buffer? (The
    // transport decides; by default everything fits.)
    void setWriteBudget(std::function<bool(std::size_t)> fits) { m_fits = std::move(fits); }

    // Answers through respond, at once or later. Returns the id of a parked long-poll so the
    // transport can forget it if its client goes away.
    std::optional<discovery::PollId> handle(const ApiRequest& request, Responder respond);

    // A reply for requests the transport refuses before or instead of parsing them (too
    // large, unparsable, write buffer full...). Counted under the endpoint with `code`.
    ApiReply refuse(unsigned httpStatus, std::string_view endpoint, std::string_view message,
                    discovery::Code code = discovery::Code::BadRequest);

    struct Call; // one request being answered (defined in the .cpp)
    using Handler = std::optional<discovery::PollId> (DiscoveryApi::*)(Call&);

private:
    struct Route;
    static const Route* findRoute(std::string_view path);

    std::optional<discovery::PollId> onMetrics(Call& c);
    std::optional<discovery::PollId> onStatus(Call& c);
    std::optional<discovery::PollId> onNodes(Call& c);
    std::optional<discovery::PollId> onFetchAll(Call& c);
    std::optional<discovery::PollId> onRegister(Call& c);
    std::optional<discovery::PollId> onRenew(Call& c);
    std::optional<discovery::PollId> onCancel(Call& c);
    std::optional<discovery::PollId> onFetch(Call& c);
    std::optional<discovery::PollId> onSet(Call& c);
    std::optional<discovery::PollId> onPoll(Call& c);

    ApiReply reply(std::string_view endpoint, discovery::Code code, std::string_view message,
                   const nlohmann::json* data = nullptr, unsigned httpStatus = 200);
    ApiReply replyText(std::string_view endpoint, discovery::Code code, std::string_view message,
                       std::string_view dataJson);

    discovery::DiscoveryRegistry& m_registry;
    ServerMetrics& m_metrics;
    std::string m_selfAddr;
    std::function<bool(std::size_t)> m_fits;
    // The last fetch/all body while someone still holds it, and the state it shows.
    std::mutex m_fetchAllMutex;
    std::weak_ptr<const std::string> m_fetchAll;
    std::uint64_t m_fetchAllGeneration = 0;
    std::size_t m_fetchAllSize = 0;
};

} // namespace regscope::discoveryd
