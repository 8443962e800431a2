#include "app/registrator/DiscoveryBackend.h"

#include <nlohmann/json.hpp>

namespace regscope::registrator {

DiscoveryBackend::DiscoveryBackend(HttpUrl server, std::string serverText,
                                   DiscoveryInstance instance,
                                   std::chrono::milliseconds renewInterval)
    : m_server(std::move(server))
    , m_serverText(std::move(serverText))
    , m_instance(std::move(instance))
    , m_renewInterval(renewInterval) {}

std::string DiscoveryBackend::describe() const {
    return "discovery " + m_serverText + " appid=" + m_instance.appid + " env=" + m_instance.env +
           " zone=" + m_instance.zone + " hostname=" + m_instance.hostname;
}

std::string DiscoveryBackend::keyForm() const {
    return "zone=" + formEncode(m_instance.zone) + "&env=" + formEncode(m_instance.env) +
           "&appid=" + formEncode(m_instance.appid) +
           "&hostname=" + formEncode(m_instance.hostname);
}

std::expected<void, RegError> DiscoveryBackend::call(const std::string& path,
                                                     const std::string& form,
                                                     std::chrono::milliseconds deadline) {
    auto reply = httpPostForm(m_server, path, form, deadline);
    if (!reply)
        return std::unexpected(RegError{RegErrorCode::Unreachable, reply.error()});
    if (reply->status != 200)
        return std::unexpected(RegError{RegErrorCode::Unreachable,
                                        "HTTP " + std::to_string(reply->status) + " from " + path});
    const auto j = nlohmann::json::parse(reply->body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("code") || !j["code"].is_number_integer())
        return std::unexpected(RegError{RegErrorCode::Unreachable,
                                        "reply of " + path + " is not a discovery envelope"});
    const int code = j["code"].get<int>();
    if (code == 0)
        return {};
    const std::string message = j.value("message", std::string());
    if (code == -404)
        return std::unexpected(RegError{RegErrorCode::NotRegistered, message});
    if (code == -500)
        return std::unexpected(RegError{RegErrorCode::Unreachable, message});
    return std::unexpected(RegError{RegErrorCode::Rejected, std::to_string(code) + " " + message});
}

std::expected<void, RegError>
DiscoveryBackend::registerInstance(std::chrono::milliseconds deadline) {
    std::string form = keyForm() + "&status=" + std::to_string(m_instance.status);
    for (const auto& a : m_instance.addrs)
        form += "&addrs=" + formEncode(a);
    if (!m_instance.region.empty())
        form += "&region=" + formEncode(m_instance.region);
    if (!m_instance.version.empty())
        form += "&version=" + formEncode(m_instance.version);
    if (!m_instance.metadata.empty())
        form += "&metadata=" + formEncode(m_instance.metadata);
    return call("/discovery/register", form, deadline);
}

std::expected<void, RegError> DiscoveryBackend::renew(std::chrono::milliseconds deadline) {
    return call("/discovery/renew", keyForm(), deadline);
}

std::expected<void, RegError> DiscoveryBackend::cancel(std::chrono::milliseconds deadline) {
    auto r = call("/discovery/cancel", keyForm(), deadline);
    if (!r && r.error().code == RegErrorCode::NotRegistered)
        return {}; // already gone: that is what we wanted
    return r;
}

} // namespace regscope::registrator
