#include "models/discovery/WireJson.h"

namespace regscope::discovery {

nlohmann::json toJson(const Instance& i) {
    return nlohmann::json{
        {"region", i.region},
        {"zone", i.zone},
        {"env", i.env},
        {"appid", i.appid},
        {"hostname", i.hostname},
        {"addrs", i.addrs},
        {"version", i.version},
        {"metadata", i.metadata},
        {"status", i.status},
        {"reg_timestamp", i.regTimestamp},
        {"up_timestamp", i.upTimestamp},
        {"renew_timestamp", i.renewTimestamp},
        {"dirty_timestamp", i.dirtyTimestamp},
        {"latest_timestamp", i.latestTimestamp},
    };
}

nlohmann::json toJson(const InstanceInfo& info) {
    nlohmann::json zones = nlohmann::json::object();
    for (const auto& [zone, list] : info.instances) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& i : list)
            arr.push_back(toJson(i));
        zones[zone] = std::move(arr);
    }
    return nlohmann::json{{"instances", std::move(zones)},
                          {"latest_timestamp", info.latestTimestamp}};
}

std::string envelope(Code code, std::string_view message, const nlohmann::json* data) {
    nlohmann::json j{{"code", static_cast<int>(code)}, {"message", message}, {"ttl", 1}};
    if (data && !data->is_null())
        j["data"] = *data;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::expected<std::map<std::string, std::string>, std::string>
parseMetadata(std::string_view text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return std::unexpected(std::string("metadata must be a JSON object"));
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : j.items()) {
        if (!v.is_string())
            return std::unexpected("metadata value of \"" + k + "\" must be a string");
        out.emplace(k, v.get<std::string>());
    }
    return out;
}

} // namespace regscope::discovery
