#pragma once
// The one place a source URL or a connection profile becomes a connector, for the command line,
// the connection bar and the connection dialog alike: `demo[?rate=N&reload=S&churn=S&seed=N]`,
// http://host:port, etcd[s]://host:port[,host:port]/prefix.

#include "connectors/Connector.h"
#include "models/ConnectionProfile.h"
#ifdef REGSCOPE_HAVE_ETCD
#include "connectors/etcd/EtcdOptions.h"
#endif

#include <memory>

namespace regscope {

// A SourceError (a sentence naming the URL and what is wrong) when the URL is not understood.
// Creating does not start: the caller connects eventsReady, then start().
ConnectorResult makeConnector(const QString& url);
// The same for a profile: for etcd the options come from the URL, then the profile's TLS
// files, server name, user and password are applied (any TLS field turns TLS on).
ConnectorResult makeConnector(const ConnectionProfile& profile);

#ifdef REGSCOPE_HAVE_ETCD
// The etcd options a profile gives: the URL's, then its TLS and auth fields on top.
EtcdResult<EtcdOptions> etcdOptionsOf(const ConnectionProfile& profile);
#endif

} // namespace regscope
