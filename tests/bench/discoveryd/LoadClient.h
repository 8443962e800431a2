#pragma once
// A keep-alive HTTP/1.1 load client on one Asio thread: C connections, each sending its
// next request as soon as the previous answer is read. Used for discoveryd and etcd alike,
// so the two are measured the same way.

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

// next(i) gives request number i; accept(body) decides whether an answer counts as ok.
LoadResult runLoad(const std::string& host, unsigned short port, int connections,
                   std::uint64_t requests, const std::function<Request(std::uint64_t)>& next,
                   const std::function<bool(const std::string&)>& accept);

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
