#pragma once
// A lean keep-alive HTTP/1.1 load client: C connections spread over a few epoll threads,
// each connection keeping `depth` requests in flight (1: the next request goes as soon as
// the previous answer is read; more: HTTP/1.1 pipelining, the analogue of several
// keep-alives in flight on one gRPC stream). Requests are serialised before the clock
// starts and answers are parsed by hand (Content-Length or chunked), so the client costs
// little of the CPU the server needs. Used for discoveryd and etcd's gateway alike, so the
// two are measured the same way.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace regscope::bench {

struct Request {
    std::string method; // "GET" or "POST"
    std::string target;
    std::string contentType;
    std::string body;
};

struct LoadResult {
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;
    double seconds = 0;
    std::vector<double> latenciesUs; // one per answered request
    double percentileUs(double p) const;
    double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

// next(i) gives request number i (all are built before the clock starts); accept(body)
// decides whether an answer counts as ok (called under a lock when threads > 1). depth:
// requests in flight per connection. Threads: BENCH_CLIENT_THREADS (default 1).
LoadResult runLoad(const std::string& host, unsigned short port, int connections,
                   std::uint64_t requests, const std::function<Request(std::uint64_t)>& next,
                   const std::function<bool(const std::string&)>& accept, int depth = 1);

// The client's own threads (BENCH_CLIENT_THREADS, default 1).
int clientThreads();

// Opens n connections that each send one request and wait for its answer (long-polls).
class ParkedRequests {
public:
    ParkedRequests(const std::string& host, unsigned short port, int n,
                   const std::function<Request(int)>& make);
    ~ParkedRequests();
    int sent() const;
    int answered() const; // answers received so far (a held long-poll has none)

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace regscope::bench
