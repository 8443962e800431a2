#include "app/discoveryd/DiscoveryApi.h"

#include "app/discoveryd/FormParams.h"
#include "models/discovery/JsonWriter.h"
#include "models/discovery/WireJson.h"

#include <array>

namespace regscope::discoveryd {

using discovery::Code;
using discovery::PollId;
using MaybePoll = std::optional<PollId>;

// One request being answered: its endpoint label, its parameters and how to answer.
struct DiscoveryApi::Call {
    DiscoveryApi& api;
    std::string_view endpoint; // a route's path (never a client-chosen one)
    FormParams params;
    Responder respond;

    MaybePoll fail(Code code, std::string_view message, unsigned http = 200) {
        respond(api.reply(endpoint, code, message, nullptr, http));
        return std::nullopt;
    }
    MaybePoll ok(const nlohmann::json* data = nullptr) {
        respond(api.reply(endpoint, Code::Ok, "0", data));
        return std::nullopt;
    }
    MaybePoll okText(std::string_view dataJson) {
        respond(api.replyText(endpoint, Code::Ok, "0", dataJson));
        return std::nullopt;
    }
    // A whole envelope already written (the hot renew path).
    MaybePoll okEnvelope(std::string envelope) {
        api.m_metrics.countRequest(endpoint, 0);
        ApiReply r;
        r.body = std::make_shared<const std::string>(std::move(envelope));
        respond(std::move(r));
        return std::nullopt;
    }
};

struct DiscoveryApi::Route {
    std::string_view path;
    bool post;
    DiscoveryApi::Handler handler;
};

namespace {

std::shared_ptr<const std::string> shared(std::string text) {
    return std::make_shared<const std::string>(std::move(text));
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

// Unwraps a parameter or answers -400 naming it.
#define REGSCOPE_PARAM(var, expr)                                                                  \
    auto var##_ = (expr);                                                                          \
    if (!var##_)                                                                                   \
        return c.fail(Code::BadRequest, var##_.error());                                           \
    auto var = std::move(*var##_);

const DiscoveryApi::Route* DiscoveryApi::findRoute(std::string_view path) {
    using A = DiscoveryApi;
    static const std::array<Route, 12> table{{
        {"/discovery/register", true, &A::onRegister},
        {"/discovery/renew", true, &A::onRenew},
        {"/discovery/cancel", true, &A::onCancel},
        {"/discovery/set", true, &A::onSet},
        {"/discovery/fetch", false, &A::onFetch},
        {"/discovery/fetchs", false, &A::onFetch},
        {"/discovery/poll", false, &A::onPoll},
        {"/discovery/polls", false, &A::onPoll},
        {"/discovery/nodes", false, &A::onNodes},
        {"/discovery/fetch/all", false, &A::onFetchAll},
        {"/metrics", false, &A::onMetrics},
        {"/status", false, &A::onStatus},
    }};
    for (const auto& r : table)
        if (r.path == path)
            return &r;
    return nullptr;
}

DiscoveryApi::DiscoveryApi(discovery::DiscoveryRegistry& registry, ServerMetrics& metrics)
    : m_registry(registry)
    , m_metrics(metrics) {}

DiscoveryApi::~DiscoveryApi() = default;

ApiReply DiscoveryApi::reply(std::string_view endpoint, Code code, std::string_view message,
                             const nlohmann::json* data, unsigned httpStatus) {
    m_metrics.countRequest(endpoint, static_cast<int>(code));
    ApiReply r;
    r.httpStatus = httpStatus;
    r.body = shared(discovery::envelope(code, message, data));
    return r;
}

ApiReply DiscoveryApi::replyText(std::string_view endpoint, Code code, std::string_view message,
                                 std::string_view dataJson) {
    m_metrics.countRequest(endpoint, static_cast<int>(code));
    ApiReply r;
    r.body = shared(discovery::envelopeRaw(code, message, dataJson));
    return r;
}

ApiReply DiscoveryApi::refuse(unsigned httpStatus, std::string_view endpoint,
                              std::string_view message, Code code) {
    const Route* route = findRoute(endpoint.substr(0, endpoint.find('?')));
    return reply(route ? route->path : "other", code, message, nullptr, httpStatus);
}

MaybePoll DiscoveryApi::handle(const ApiRequest& req, Responder respond) {
    const auto q = req.target.find('?');
    const std::string_view path = req.target.substr(0, q);
    const std::string_view query =
        q == std::string_view::npos ? std::string_view() : req.target.substr(q + 1);
    const Route* route = findRoute(path);
    Call c{*this, route ? route->path : std::string_view("other"), {}, std::move(respond)};
    if (!route)
        return c.fail(Code::NotFound, "no such endpoint: " + std::string(path.substr(0, 128)), 404);
    if (req.method != (route->post ? "POST" : "GET"))
        return c.fail(Code::BadRequest,
                      std::string(path) + " wants " + (route->post ? "POST" : "GET"), 405);
    if (auto r = c.params.parse(query); !r)
        return c.fail(Code::BadRequest, r.error());
    if (route->post) {
        const auto ct = req.contentType.substr(0, req.contentType.find(';'));
        if (!req.body.empty() && !ct.empty() && ct != "application/x-www-form-urlencoded")
            return c.fail(Code::BadRequest,
                          "body must be application/x-www-form-urlencoded, not " + std::string(ct));
        if (auto r = c.params.parse(req.body); !r)
            return c.fail(Code::BadRequest, r.error());
    }
    // Names are kept as text: bytes that are not UTF-8 could not come back exactly in JSON
    // (a client could not cancel what it registered), so they are refused up front.
    if (const auto bad = c.params.firstInvalidUtf8())
        return c.fail(Code::BadRequest, *bad + ": not valid UTF-8");
    return (this->*route->handler)(c);
}

MaybePoll DiscoveryApi::onMetrics(Call& c) {
    ApiReply r;
    r.contentType = "text/plain; version=0.0.4; charset=utf-8";
    m_metrics.countRequest(c.endpoint, 0);
    r.body = shared(m_metrics.prometheus(m_registry.stats(), m_registry.config()));
    c.respond(std::move(r));
    return std::nullopt;
}

MaybePoll DiscoveryApi::onStatus(Call& c) {
    const auto j = m_metrics.status(m_registry.stats(), m_registry.config());
    return c.ok(&j);
}

MaybePoll DiscoveryApi::onNodes(Call& c) {
    const nlohmann::json j = nlohmann::json::array(
        {{{"addr", m_selfAddr}, {"status", 0}, {"zone", m_registry.config().zone}}});
    return c.ok(&j);
}

MaybePoll DiscoveryApi::onFetchAll(Call& c) {
    // Clients asking for the same state share one encoded body: 40 of them cost one copy.
    // The lock also makes a second asker of the same state wait for the first one's body.
    std::unique_lock lock(m_fetchAllMutex);
    const std::uint64_t generation = m_registry.generation();
    auto body = m_fetchAll.lock();
    if (!body || m_fetchAllGeneration != generation) {
        if (m_fits && !m_fits(m_fetchAllSize)) {
            lock.unlock();
            m_metrics.transport().writeRefused++;
            return c.fail(Code::Unavailable, "write buffer full: try again later", 503);
        }
        std::string out;
        out.reserve(m_fetchAllSize + 64);
        out += "{\"code\":0,\"data\":";
        m_registry.appendFetchAllJson(out);
        out += ",\"message\":\"0\",\"ttl\":1}";
        body = shared(std::move(out));
        m_fetchAll = body;
        m_fetchAllGeneration = generation;
        m_fetchAllSize = body->size();
    }
    lock.unlock();
    m_metrics.countRequest(c.endpoint, 0);
    ApiReply r;
    r.body = std::move(body);
    r.sharable = true;
    c.respond(std::move(r));
    return std::nullopt;
}

MaybePoll DiscoveryApi::onRegister(Call& c) {
    const FormParams& p = c.params;
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
        return c.fail(Code::BadRequest, "status must be 1 (UP) or 2 (WAITING)");
    for (const auto& a : addrs)
        if (a.find("://") == std::string::npos || a.starts_with("://"))
            return c.fail(Code::BadRequest, "addrs must look like scheme://ip:port, got " + a);
    discovery::RegisterArgs args;
    if (const auto md = p.first("metadata"); md && !md->empty()) {
        auto parsed = discovery::parseMetadata(*md);
        if (!parsed)
            return c.fail(Code::BadRequest, parsed.error());
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
        return c.fail(r.error().code, r.error().message);
    return c.ok();
}

namespace {

std::expected<discovery::InstanceKey, std::string> instanceKey(const FormParams& p) {
    discovery::InstanceKey key;
    for (auto [name, field] :
         {std::pair{"zone", &key.zone}, std::pair{"env", &key.env}, std::pair{"appid", &key.appid},
          std::pair{"hostname", &key.hostname}}) {
        auto v = p.required(name);
        if (!v)
            return std::unexpected(v.error());
        *field = std::move(*v);
    }
    return key;
}

} // namespace

MaybePoll DiscoveryApi::onRenew(Call& c) {
    REGSCOPE_PARAM(key, instanceKey(c.params));
    REGSCOPE_PARAM(replication, c.params.optionalBool("replication"));
    REGSCOPE_PARAM(dirty, c.params.optionalInt("dirty_timestamp", 0));
    // The envelope is written around the instance's JSON, which is written under the
    // registry's lock: no copy of the instance, one string (envelopeRaw's exact bytes).
    std::string out;
    out.reserve(512);
    out += "{\"code\":0,\"data\":";
    const auto r = m_registry.renew(key, replication, dirty, [&out](const discovery::Instance& i) {
        discovery::appendJson(out, i);
    });
    if (!r)
        return c.fail(r.error().code, r.error().message);
    out += ",\"message\":\"0\",\"ttl\":1}";
    return c.okEnvelope(std::move(out));
}

MaybePoll DiscoveryApi::onCancel(Call& c) {
    REGSCOPE_PARAM(key, instanceKey(c.params));
    REGSCOPE_PARAM(replication, c.params.optionalBool("replication"));
    (void)replication;
    REGSCOPE_PARAM(latest, c.params.optionalInt("latest_timestamp", 0));
    if (auto r = m_registry.cancel(key, latest); !r)
        return c.fail(r.error().code, r.error().message);
    return c.ok();
}

MaybePoll DiscoveryApi::onFetch(Call& c) {
    const FormParams& p = c.params;
    REGSCOPE_PARAM(env, p.required("env"));
    REGSCOPE_PARAM(appids, p.requiredList("appid"));
    REGSCOPE_PARAM(status, p.requiredInt("status"));
    if (status < 1 || status > 3)
        return c.fail(Code::BadRequest, "status must be 1 (UP), 2 (WAITING) or 3 (both)");
    const std::string zone = p.first("zone").value_or("");
    if (c.endpoint == "/discovery/fetch") {
        auto r = m_registry.fetch(env, appids.front(), zone, static_cast<int>(status));
        if (!r)
            return c.fail(r.error().code, r.error().message);
        return c.okText(infoText(*r));
    }
    return c.okText(mapText(m_registry.fetchs(env, appids, zone, static_cast<int>(status))));
}

MaybePoll DiscoveryApi::onSet(Call& c) {
    const FormParams& p = c.params;
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
            return c.fail(Code::BadRequest, parsed.error());
        args.metadatas.push_back(std::move(*parsed));
    }
    if (auto r = m_registry.set(args); !r)
        return c.fail(r.error().code, r.error().message);
    return c.ok();
}

MaybePoll DiscoveryApi::onPoll(Call& c) {
    const FormParams& p = c.params;
    REGSCOPE_PARAM(env, p.required("env"));
    REGSCOPE_PARAM(appids, p.requiredList("appid"));
    REGSCOPE_PARAM(hostname, p.required("hostname"));
    REGSCOPE_PARAM(latest, p.intList("latest_timestamp"));
    const bool single = c.endpoint == "/discovery/poll";
    if (single) {
        if (appids.size() != 1)
            return c.fail(Code::BadRequest, "appid: poll takes one (use polls for several)");
        if (latest.size() > 1)
            return c.fail(Code::BadRequest, "latest_timestamp: poll takes one");
        if (latest.empty())
            latest.push_back(0);
    } else if (latest.size() != appids.size()) {
        return c.fail(Code::BadRequest, "latest_timestamp: need exactly one per appid");
    }
    discovery::PollArgs args;
    args.env = std::move(env);
    args.zone = p.first("zone").value_or("");
    args.hostname = std::move(hostname);
    args.appids = std::move(appids);
    args.latestTimestamps = std::move(latest);
    const std::string appid0 = args.appids.front();
    return m_registry.poll(
        std::move(args), [this, endpoint = c.endpoint, single, appid0,
                          respond = std::move(c.respond)](discovery::PollAnswer a) {
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

#undef REGSCOPE_PARAM

} // namespace regscope::discoveryd
