#pragma once
// The etcd side of the actions: guarded puts and deletes, prefix deletes with their count,
// lease list / revoke / keep-alive once / keys, and a key's history. Each action runs on the
// executor's own threads with its own client and call group, so cancel() ends exactly that
// action's calls at once. Keys outside the source's prefix are refused: the user acts only on
// what the window shows. gRPC-free header.

#include "connectors/etcd/EtcdOptions.h"
#include "models/actions/ActionExecutor.h"

#include <QThreadPool>

#include <memory>
#include <mutex>
#include <unordered_map>

namespace regscope {

class EtcdCallGroup;

class EtcdActions : public ActionExecutor {
public:
    struct Limits {
        int threads = 2;
        int maxLeases = 1000; // LeaseList: TimeToLive is asked for at most this many
        int maxReadBack = 10; // prefix-delete conflicts: changed keys shown
    };
    explicit EtcdActions(EtcdOptions options);
    EtcdActions(EtcdOptions options, Limits limits);
    ~EtcdActions() override; // cancels what is in flight and joins

    bool supports(ActionKind kind) const override;
    void execute(ActionId id, const ActionRequest& request, Done done) override;
    void cancel(ActionId id) override;

    // The same, blocking on the calling thread (a worker's, a test's); group may be null.
    ActionResult run(const ActionRequest& request, std::shared_ptr<EtcdCallGroup> group = {});

private:
    EtcdOptions m_options;
    Limits m_limits;
    QThreadPool m_pool;
    std::mutex m_mutex;
    std::unordered_map<ActionId, std::shared_ptr<EtcdCallGroup>> m_groups;
};

} // namespace regscope
