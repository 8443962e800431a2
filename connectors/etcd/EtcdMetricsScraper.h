#pragma once
// Fetches a member's /metrics over plain HTTP/1.1 with a deadline. Blocking: worker threads only.

#include "connectors/etcd/EtcdError.h"

#include <QByteArray>
#include <QString>

namespace regscope {

// clientUrl as MemberList reports it ("http://127.0.0.1:2379"). https is not scraped.
EtcdResult<QByteArray> fetchEtcdMetrics(const QString& clientUrl, int timeoutMs);

} // namespace regscope
