#pragma once
// A registered address as a probe reads it: scheme://host:port, parsed strictly. http and
// https default their port (80, 443); every other scheme must name one.

#include <QString>

#include <expected>

namespace regscope {

struct ProbeAddress {
    enum class Kind : quint8 { Tcp, Http, Https, Grpc };
    Kind kind = Kind::Tcp;
    QString scheme; // lower case
    QString host;   // without brackets for IPv6
    quint16 port = 0;

    // host:port as gRPC and the Host header want it ([::1]:50051 for IPv6).
    QString authority() const;
};

// The reason in words when the address cannot be probed ("no port", "no host"...).
std::expected<ProbeAddress, QString> parseProbeAddress(const QString& addr);

} // namespace regscope
