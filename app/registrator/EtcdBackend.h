#pragma once
// RegistrationBackend for etcd: a lease (grant + put on register, keep-alive on renew every
// TTL/3, revoke on cancel). The gRPC work lives in connectors/etcd (EtcdRegistration).

#include "app/registrator/RegistrationBackend.h"
#include "connectors/etcd/EtcdRegistration.h"

#include <algorithm>
#include <string>

namespace regscope::registrator {

class EtcdBackend final : public RegistrationBackend {
public:
    explicit EtcdBackend(regscope::EtcdRegistrationOptions options)
        : m_describe("etcd " + options.connection.endpoints.join(u',').toStdString() + " key=" +
                     options.key.toStdString() + " ttl=" + std::to_string(options.ttlSeconds) + "s")
        , m_reg(std::move(options)) {}

    std::string describe() const override { return m_describe; }
    std::chrono::milliseconds renewInterval() const override {
        return std::chrono::milliseconds(m_reg.renewIntervalMs());
    }
    std::expected<void, RegError> registerInstance(std::chrono::milliseconds deadline) override {
        return map(m_reg.registerStep(ms(deadline)));
    }
    std::expected<void, RegError> renew(std::chrono::milliseconds deadline) override {
        return map(m_reg.renewStep(ms(deadline)));
    }
    std::expected<void, RegError> cancel(std::chrono::milliseconds deadline) override {
        return map(m_reg.cancelStep(ms(deadline)));
    }

private:
    static int ms(std::chrono::milliseconds d) {
        return static_cast<int>(std::clamp<long long>(d.count(), 1, 3'600'000));
    }
    static std::expected<void, RegError> map(const regscope::EtcdResult<void>& r) {
        if (r)
            return {};
        using C = regscope::EtcdError::Code;
        RegErrorCode code = RegErrorCode::Rejected;
        switch (r.error().code) {
        case C::LeaseNotFound:
            code = RegErrorCode::NotRegistered;
            break;
        case C::Unavailable:
        case C::NoLeader:
        case C::DeadlineExceeded:
        case C::Canceled:
            code = RegErrorCode::Unreachable;
            break;
        default:
            break;
        }
        return std::unexpected(RegError{code, r.error().message.toStdString()});
    }

    std::string m_describe;
    regscope::EtcdRegistration m_reg;
};

} // namespace regscope::registrator
