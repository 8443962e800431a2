#pragma once
// How etcd ids are written for people, header-only (Qt Core): used by models, views and
// connectors alike, so a lease reads the same in every panel, message and log line.

#include <QString>

namespace regscope {

// A lease id as etcdctl prints it ("lease %016x granted", `etcdctl lease list`): 16 hex
// digits, leading zeros kept, so what the user copies from a terminal is what regscope shows.
inline QString etcdLeaseText(qint64 lease) {
    return QString::number(static_cast<quint64>(lease), 16).rightJustified(16, u'0');
}

} // namespace regscope
