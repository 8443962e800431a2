#pragma once
// A source's side of the actions (EtcdActions, DiscoveryActions): runs requests on its own
// threads and calls back with the result. The dispatcher owns the policy, the log and the
// Timeline; an executor only talks to its server.

#include "models/actions/ActionTypes.h"

#include <functional>

namespace regscope {

class ActionExecutor {
public:
    using Done = std::function<void(ActionResult)>;
    virtual ~ActionExecutor();

    virtual bool supports(ActionKind kind) const = 0;
    // Returns at once; `done` is called exactly once, from any thread.
    virtual void execute(ActionId id, const ActionRequest& request, Done done) = 0;
    // Stops the action if it is still in flight (its done then reports Canceled).
    virtual void cancel(ActionId id) = 0;
};

} // namespace regscope
