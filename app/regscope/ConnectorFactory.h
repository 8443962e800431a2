#pragma once
// The one place a source URL becomes a connector, for the command line and the connection
// bar alike: `demo[?rate=N&reload=S&churn=S&seed=N]` for now; http:// and etcd:// come here.

#include "connectors/Connector.h"

#include <memory>

namespace regscope {

// nullptr and *error set (a sentence naming the URL and what is wrong) when the URL is not
// understood. Creating does not start: the caller connects eventsReady, then start().
std::unique_ptr<Connector> makeConnector(const QString& url, QString* error);

} // namespace regscope
