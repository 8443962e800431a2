// The discovery server's request handling (app/discoveryd/DiscoveryApi) behind the HTTP
// front: method, target (path?query), content type and body exactly as a client sends them,
// against a real DiscoveryRegistry on a manual clock. One input is a short session, one
// request per line:  <M> <target> <body>   where M is G (GET), P (POST form), X (POST with
// another content type), or any other word used as the method itself.
// Every request gets exactly one reply (now or, for a parked poll, at the latest when its
// timeout passes), in the {"code","message",...} envelope.
#include "app/discoveryd/DiscoveryApi.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

using namespace regscope;

namespace {

struct Request {
    std::string method;
    std::string target;
    std::string contentType;
    std::string body;
};

std::vector<Request> requestsOf(std::string_view text) {
    std::vector<Request> out;
    while (!text.empty() && out.size() < 32) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        const auto sp1 = line.find(' ');
        const std::string_view word = line.substr(0, sp1);
        line = sp1 == std::string_view::npos ? std::string_view{} : line.substr(sp1 + 1);
        const auto sp2 = line.find(' ');
        Request r;
        r.target = std::string(line.substr(0, sp2));
        r.body = sp2 == std::string_view::npos ? std::string{} : std::string(line.substr(sp2 + 1));
        if (word == "G") {
            r.method = "GET";
        } else if (word == "P") {
            r.method = "POST";
            r.contentType = "application/x-www-form-urlencoded";
        } else if (word == "X") {
            r.method = "POST";
            r.contentType = "text/plain";
        } else {
            r.method = std::string(word);
        }
        out.push_back(std::move(r));
    }
    return out;
}

void checkReply(const discoveryd::ApiReply& reply) {
    if (reply.httpStatus < 200 || reply.httpStatus > 599)
        std::abort();
    if (reply.contentType.starts_with("application/json")) {
        if (!reply.body)
            std::abort(); // a JSON reply always has a body
        const auto j = nlohmann::json::parse(*reply.body, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("code") || !j.contains("message"))
            std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    discovery::ManualClock clock;
    discovery::DiscoveryConfig config;
    config.seed = 1;
    config.maxInstances = 64;
    config.maxInstancesPerApp = 16;
    config.maxApps = 16;
    config.maxParkedPolls = 16;
    discovery::DiscoveryRegistry registry(config, clock);
    discoveryd::ServerMetrics metrics;
    discoveryd::DiscoveryApi api(registry, metrics);
    api.setSelfAddress("127.0.0.1:7171");

    std::size_t asked = 0;
    std::size_t answered = 0;
    const auto requests = requestsOf({reinterpret_cast<const char*>(data), size});
    for (const auto& r : requests) {
        ++asked;
        api.handle({r.method, r.target, r.contentType, r.body},
                   [&answered](discoveryd::ApiReply reply) {
                       checkReply(reply);
                       ++answered;
                   });
        clock.advance(std::chrono::seconds(1));
        registry.tick();
    }
    // Past every deadline: eviction passes run and parked polls time out (-304).
    clock.advance(config.pollTimeout + config.evictCeiling + config.evictInterval);
    registry.tick();
    if (answered != asked)
        std::abort();
    return 0;
}
