#include "app/discoveryd/DiscoveryApi.h"

#include "app/discoveryd/FormParams.h"
#include "models/discovery/JsonWriter.h"
#include "models/discovery/WireJson.h"

#include <array>

namespace regscope::discoveryd {

using discovery::Code;

namespace {

constexpr std::array kEndpoints{
    std::string_view("/discovery/register"),
    std::string_view("/discovery/renew"),
    std::string_view("/discovery/cancel"),
    std::string_view("/discovery/fetch"),
    std::string_view("/discovery/fetchs"),
    std::string_view("/discovery/poll"),
    std::string_view("/discovery/polls"),
    std::string_view("/discovery/nodes"),
    std::string_view("/discovery/set"),
    std::string_view("/discovery/fetch/all"),
    std::string_view("/metrics"),
    std::string_view("/status"),
};

bool isPost(std::string_view path) {
    return path == "/discovery/register" || path == "/discovery/renew" ||
           path == "/discovery/cancel" || path == "/discovery/set";
}

// Counts requests under a known endpoint name, never under a client-chosen path (bounded).
std::string endpointLabel(std::string_view path) {
    for (const auto e : kEndpoints)
        if (e == path)
            return std::string(e);
    return "other";
}

std::string mapText(const std::map<std::string, discovery::InstanceInfo>& m) {
    std::string out = "{";
    for (const auto& [appid, info] : m) {
        if (out.size() > 1)
            out += ',';
        discovery::appendJsonString(out, appid);
        out += ':';
        discovery::appendJson(out, info);
    }
    out += '}';
    return out;
}

std::string infoText(const discovery::InstanceInfo& info) {
    std::string out;
    discovery::appendJson(out, info);
    return out;
}

} // namespace

DiscoveryApi::DiscoveryApi(discovery::DiscoveryRegistry& registry, ServerMetrics& metrics)
    : m_registry(registry)
    , m_metrics(metrics) {}

ApiReply DiscoveryApi::reply(std::string_view endpoint, Code code, std::string_view message,
                             const nlohmann::json* data, unsigned httpStatus) {
    m_metrics.countRequest(std::string(endpoint), static_cast<int>(code));
    ApiReply r;
    r.httpStatus = httpStatus;
    r.body = discovery::envelope(code, message, data);
    return r;
}

ApiReply DiscoveryApi::replyText(std::string_view endpoint, Code code, std::string_view message,
                                 std::string_view dataJson) {
    m_metrics.countRequest(std::string(endpoint), static_cast<int>(code));
    ApiReply r;
    r.body = discovery::envelopeRaw(code, message, dataJson);
    return r;
}

ApiReply DiscoveryApi::refuse(unsigned httpStatus, std::string_view endpoint,
                              std::string_view message) {
    return reply(endpointLabel(endpoint), Code::BadRequest, message, nullptr, httpStatus);
}

std::optional<discovery::PollId> DiscoveryApi::handle(const ApiRequest& req, Responder respond) {
    const auto q = req.target.find('?');
    const std::string_view path = req.target.substr(0, q);
    const std::string_view query =
        q == std::string_view::npos ? std::string_view() : req.target.substr(q + 1);
    const std::string endpoint = endpointLabel(path);

    const auto fail = [&](Code code, std::string_view message, unsigned http = 200) {
        respond(reply(endpoint, code, message, nullptr, http));
        return std::nullopt;
    };
    const auto ok = [&](const nlohmann::json* data = nullptr) {
        respond(reply(endpoint, Code::Ok, "0", data));
        return std::nullopt;
    };
    const auto okText = [&](std::string_view dataJson) {
        respond(replyText(endpoint, Code::Ok, "0", dataJson));
        return std::nullopt;
    };

    if (endpoint == "other")
        return fail(Code::NotFound, "no such endpoint: " + std::string(path.substr(0, 128)), 404);
    const bool post = isPost(path);
    if (req.method != (post ? "POST" : "GET"))
        return fail(Code::BadRequest, std::string(path) + " wants " + (post ? "POST" : "GET"), 405);

    FormParams p;
    if (auto r = p.parse(query); !r)
        return fail(Code::BadRequest, r.error());
    if (post) {
        const auto ct = req.contentType.substr(0, req.contentType.find(';'));
        if (!req.body.empty() && !ct.empty() && ct != "application/x-www-form-urlencoded")
            return fail(Code::BadRequest,
                        "body must be application/x-www-form-urlencoded, not " + std::string(ct));
        if (auto r = p.parse(req.body); !r)
            return fail(Code::BadRequest, r.error());
    }

// Unwraps a parameter or answers -400 naming it.
#define REGSCOPE_PARAM(var, expr)                                                                  \
    auto var##_ = (expr);                                                                          \
    if (!var##_)                                                                                   \
        return fail(Code::BadRequest, var##_.error());                                             \
    auto var = std::move(*var##_);

    if (path == "/metrics") {
        ApiReply r;
        r.contentType = "text/plain; version=0.0.4; charset=utf-8";
        m_metrics.countRequest(endpoint, 0);
        r.body = m_metrics.prometheus(m_registry.stats(), m_registry.config());
        respond(std::move(r));
        return std::nullopt;
    }
    if (path == "/status") {
        const auto j = m_metrics.status(m_registry.stats(), m_registry.config());
        return ok(&j);
    }
    if (path == "/discovery/nodes") {
        const nlohmann::json j = nlohmann::json::array(
            {{{"addr", m_selfAddr}, {"status", 0}, {"zone", m_registry.config().zone}}});
        return ok(&j);
    }
    if (path == "/discovery/fetch/all") {
        std::string out = "{";
        for (const auto& [appid, list] : m_registry.fetchAll()) {
            if (out.size() > 1)
                out += ',';
            discovery::appendJsonString(out, appid);
            out += ":[";
            for (std::size_t i = 0; i < list.size(); ++i) {
                if (i)
                    out += ',';
                discovery::appendJson(out, list[i]);
            }
            out += ']';
        }
        out += '}';
        return okText(out);
    }
    if (path == "/discovery/register") {
        REGSCOPE_PARAM(zone, p.required("zone"));
        REGSCOPE_PARAM(env, p.required("env"));
        REGSCOPE_PARAM(appid, p.required("appid"));
        REGSCOPE_PARAM(hostname, p.required("hostname"));
        REGSCOPE_PARAM(status, p.requiredInt("status"));
        REGSCOPE_PARAM(addrs, p.requiredList("addrs"));
        REGSCOPE_PARAM(latest, p.optionalInt("latest_timestamp", 0));
        REGSCOPE_PARAM(dirty, p.optionalInt("dirty_timestamp", 0));
        REGSCOPE_PARAM(replication, p.optionalBool("replication"));
        (void)replication; // no peers: accepted for compatibility
        if (status != discovery::StatusUp && status != discovery::StatusWaiting)
            return fail(Code::BadRequest, "status must be 1 (UP) or 2 (WAITING)");
        for (const auto& a : addrs)
            if (a.find("://") == std::string::npos || a.starts_with("://"))
                return fail(Code::BadRequest, "addrs must look like scheme://ip:port, got " + a);
        discovery::RegisterArgs args;
        if (const auto md = p.first("metadata"); md && !md->empty()) {
            auto parsed = discovery::parseMetadata(*md);
            if (!parsed)
                return fail(Code::BadRequest, parsed.error());
            args.instance.metadata = std::move(*parsed);
        }
        args.instance.zone = std::move(zone);
        args.instance.env = std::move(env);
        args.instance.appid = std::move(appid);
        args.instance.hostname = std::move(hostname);
        args.instance.status = static_cast<int>(status);
        args.instance.addrs = std::move(addrs);
        args.instance.region = p.first("region").value_or("");
        args.instance.version = p.first("version").value_or("");
        args.latestTimestamp = latest;
        args.dirtyTimestamp = dirty;
        if (auto r = m_registry.registerInstance(std::move(args)); !r)
            return fail(r.error().code, r.error().message);
        return ok();
    }
    if (path == "/discovery/renew" || path == "/discovery/cancel") {
        REGSCOPE_PARAM(zone, p.required("zone"));
        REGSCOPE_PARAM(env, p.required("env"));
        REGSCOPE_PARAM(appid, p.required("appid"));
        REGSCOPE_PARAM(hostname, p.required("hostname"));
        REGSCOPE_PARAM(replication, p.optionalBool("replication"));
        const discovery::InstanceKey key{std::move(zone), std::move(env), std::move(appid),
                                         std::move(hostname)};
        if (path == "/discovery/renew") {
            REGSCOPE_PARAM(dirty, p.optionalInt("dirty_timestamp", 0));
            auto r = m_registry.renew(key, replication, dirty);
            if (!r)
                return fail(r.error().code, r.error().message);
            std::string out;
            discovery::appendJson(out, *r);
            return okText(out);
        }
        REGSCOPE_PARAM(latest, p.optionalInt("latest_timestamp", 0));
        if (auto r = m_registry.cancel(key, latest); !r)
            return fail(r.error().code, r.error().message);
        return ok();
    }
    if (path == "/discovery/fetch" || path == "/discovery/fetchs") {
        REGSCOPE_PARAM(env, p.required("env"));
        REGSCOPE_PARAM(appids, p.requiredList("appid"));
        REGSCOPE_PARAM(status, p.requiredInt("status"));
        if (status < 1 || status > 3)
            return fail(Code::BadRequest, "status must be 1 (UP), 2 (WAITING) or 3 (both)");
        const std::string zone = p.first("zone").value_or("");
        if (path == "/discovery/fetch") {
            auto r = m_registry.fetch(env, appids.front(), zone, static_cast<int>(status));
            if (!r)
                return fail(r.error().code, r.error().message);
            return okText(infoText(*r));
        }
        return okText(mapText(m_registry.fetchs(env, appids, zone, static_cast<int>(status))));
    }
    if (path == "/discovery/set") {
        REGSCOPE_PARAM(zone, p.required("zone"));
        REGSCOPE_PARAM(env, p.required("env"));
        REGSCOPE_PARAM(appid, p.required("appid"));
        REGSCOPE_PARAM(statuses, p.intList("status"));
        discovery::SetArgs args;
        args.zone = std::move(zone);
        args.env = std::move(env);
        args.appid = std::move(appid);
        args.hostnames = p.all("hostname");
        for (const auto s : statuses)
            args.statuses.push_back(static_cast<int>(s));
        for (const auto& md : p.all("metadata")) {
            auto parsed = discovery::parseMetadata(md);
            if (!parsed)
                return fail(Code::BadRequest, parsed.error());
            args.metadatas.push_back(std::move(*parsed));
        }
        if (auto r = m_registry.set(args); !r)
            return fail(r.error().code, r.error().message);
        return ok();
    }
    // /discovery/poll and /discovery/polls
    REGSCOPE_PARAM(env, p.required("env"));
    REGSCOPE_PARAM(appids, p.requiredList("appid"));
    REGSCOPE_PARAM(hostname, p.required("hostname"));
    REGSCOPE_PARAM(latest, p.intList("latest_timestamp"));
#undef REGSCOPE_PARAM
    const bool single = path == "/discovery/poll";
    if (single) {
        if (appids.size() != 1)
            return fail(Code::BadRequest, "appid: poll takes one (use polls for several)");
        if (latest.size() > 1)
            return fail(Code::BadRequest, "latest_timestamp: poll takes one");
        if (latest.empty())
            latest.push_back(0);
    } else if (latest.size() != appids.size()) {
        return fail(Code::BadRequest, "latest_timestamp: need exactly one per appid");
    }
    discovery::PollArgs args;
    args.env = std::move(env);
    args.zone = p.first("zone").value_or("");
    args.hostname = std::move(hostname);
    args.appids = std::move(appids);
    args.latestTimestamps = std::move(latest);
    const std::string appid0 = args.appids.front();
    return m_registry.poll(
        std::move(args),
        [this, endpoint, single, appid0, respond = std::move(respond)](discovery::PollAnswer a) {
            if (!a) {
                respond(reply(endpoint, a.error().code, a.error().message));
                return;
            }
            if (single) {
                const auto it = a->find(appid0);
                respond(replyText(endpoint, Code::Ok, "0",
                                  it == a->end() ? std::string() : infoText(it->second)));
                return;
            }
            respond(replyText(endpoint, Code::Ok, "0", mapText(*a)));
        });
}

} // namespace regscope::discoveryd
