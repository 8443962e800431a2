#pragma once
// The gRPC anchor of bench_discoveryd: etcd lease keep-alives over LeaseKeepAlive streams
// through regscope's own EtcdClient, in two shapes with the same number in flight:
// - ping-pong: one thread per stream, each sending its next keep-alive when the previous
//   answer is read (8 streams share a channel, as clientv3 multiplexes);
// - pipelined: as clientv3's lessor does, a sender and a receiver per stream with `window`
//   keep-alives in flight on it (answers come back in order on a stream).

#include "LoadClient.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace regscope::bench {

class GrpcAnchor {
public:
    // Opens `streams` LeaseKeepAlive streams on etcd at 127.0.0.1:port (8 per channel, or
    // all on one channel when `oneChannel`).
    GrpcAnchor(unsigned short port, int streams, bool oneChannel);
    ~GrpcAnchor();
    bool ok() const;

    // `requests` keep-alives of leases[(base + i) % size]; window 1 per stream: ping-pong.
    LoadResult run(const std::vector<long long>& leases, std::uint64_t base, std::uint64_t requests,
                   int window);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace regscope::bench
