#pragma once
// The instances panel's detail pane: everything one instance record holds, in words, then
// the record as raw JSON.

#include <QString>

namespace regscope {

class InstanceModel;
struct InstanceRecord;

QString instanceDetailText(const InstanceRecord& r, const InstanceModel& model);

} // namespace regscope
