#pragma once
// The HTTP/1.1 front of regscope-discoveryd on Boost.Beast + Asio: one io_context thread,
// no thread per connection. A parked long-poll is just a session object waiting for its
// responder to be called, so thousands cost memory, not threads.

#include "app/discoveryd/DiscoveryApi.h"
#include "app/discoveryd/ServerOptions.h"

#include <boost/asio/io_context.hpp>

#include <expected>
#include <memory>
#include <string>

namespace regscope::discoveryd {

class HttpServer {
public:
    HttpServer(boost::asio::io_context& io, DiscoveryApi& api, ServerMetrics& metrics,
               discovery::DiscoveryRegistry& registry, const ServerOptions& options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and starts accepting and ticking; returns the bound "host:port".
    std::expected<std::string, std::string> start();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace regscope::discoveryd
