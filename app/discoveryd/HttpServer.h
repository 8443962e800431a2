#pragma once
// The HTTP/1.1 front of regscope-discoveryd on Boost.Beast + Asio: a few io threads (the
// caller's io_context plus --threads - 1 of its own), each listening on the port with
// SO_REUSEPORT; no thread per connection. A parked long-poll is just a session object
// waiting for its responder to be called, so thousands cost memory, not threads.
// Hostile clients are bounded: connection cap with shedding, EMFILE back-off, request and
// write deadlines, write-buffer bounds (ServerOptions).

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

    // Binds and starts accepting and ticking (the extra io threads start here and are joined
    // by the destructor); returns the bound "host:port".
    std::expected<std::string, std::string> start();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace regscope::discoveryd
