#pragma once
// One HTTP/1.1 connection of regscope-discoveryd (HttpServer's io threads make them): reads
// requests under the header and idle deadlines, hands them to the DiscoveryApi, writes the
// replies under the write deadline and the write-buffer bounds, and answers pipelined
// requests in batches (one write for the replies of the whole requests already buffered).

#include "app/discoveryd/Connections.h"
#include "app/discoveryd/DiscoveryApi.h"
#include "app/discoveryd/ServerOptions.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace regscope::discoveryd {

// What the sessions of one io thread share.
struct SessionShared {
    boost::asio::io_context& io;
    DiscoveryApi& api;
    discovery::DiscoveryRegistry& registry;
    const ServerOptions& options;
    // Shared with the sessions: the io_context may destroy abandoned sessions after the
    // server itself is gone (at shutdown), and their destructor still counts down.
    std::shared_ptr<Connections> book;
};

// Starts serving an accepted connection; it lives as long as its operations.
void startSession(boost::asio::ip::tcp::socket socket, SessionShared& shared);

} // namespace regscope::discoveryd
