#pragma once
// The service layout: keys "<servicePrefix><app>/<instance>" whose value is a JSON object
// become InstanceRecords (source "etcd"), so etcd-registered services sit beside discovery ones.
//
// Value fields read (all optional): addrs (array) or addr (string), zone, env, region,
// hostname (default: <instance>), version, status (1 UP, 2 WAITING), metadata (object).

#include "models/SourceEvent.h"

#include <optional>

namespace regscope {

std::optional<InstanceRecord> instanceFromKey(const KeyRecord& kv, const QByteArray& servicePrefix);

} // namespace regscope
