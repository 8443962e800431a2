#pragma once
// grpc.health.v1.Health/Check probes through gRPC's callback API: the call runs on gRPC's
// threads, the verdict is handed to `context`'s thread. SERVING: up; any other status:
// unhealthy; no connection: refused; no answer by the deadline: timeout. gRPC stays in this
// file's .cpp (the layering rule allows it in connectors/etcd and connectors/probe only).

#include "connectors/probe/SocketProbe.h"

#include <QObject>

#include <memory>

namespace regscope {

class GrpcHealthProbes {
public:
    explicit GrpcHealthProbes(QObject* context);
    ~GrpcHealthProbes(); // cancels the calls in flight; their verdicts are dropped
    GrpcHealthProbes(const GrpcHealthProbes&) = delete;
    GrpcHealthProbes& operator=(const GrpcHealthProbes&) = delete;

    // `done` runs on the context's thread, unless the context is gone by then.
    void start(const ProbeAddress& address, int timeoutMs, ProbeDone done);

private:
    struct Impl;
    std::shared_ptr<Impl> d;
};

} // namespace regscope
