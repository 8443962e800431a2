#pragma once
// RegistrationBackend for a bilibili/discovery-compatible server (regscope-discoveryd).

#include "app/registrator/HttpClient.h"
#include "app/registrator/RegistrationBackend.h"

#include <string>
#include <vector>

namespace regscope::registrator {

struct DiscoveryInstance {
    std::string zone;
    std::string env;
    std::string appid;
    std::string hostname;
    std::string region;
    std::string version;
    std::string metadata; // a JSON object as a string, or empty
    std::vector<std::string> addrs;
    int status = 1;
};

class DiscoveryBackend final : public RegistrationBackend {
public:
    DiscoveryBackend(HttpUrl server, std::string serverText, DiscoveryInstance instance,
                     std::chrono::milliseconds renewInterval);

    std::string describe() const override;
    std::chrono::milliseconds renewInterval() const override { return m_renewInterval; }
    std::expected<void, RegError> registerInstance(std::chrono::milliseconds deadline) override;
    std::expected<void, RegError> renew(std::chrono::milliseconds deadline) override;
    std::expected<void, RegError> cancel(std::chrono::milliseconds deadline) override;

private:
    std::expected<void, RegError> call(const std::string& path, const std::string& form,
                                       std::chrono::milliseconds deadline);
    std::string keyForm() const;

    HttpUrl m_server;
    std::string m_serverText;
    DiscoveryInstance m_instance;
    std::chrono::milliseconds m_renewInterval;
};

} // namespace regscope::registrator
