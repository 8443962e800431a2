#pragma once
// One side of `regscope --diff A B`: a snapshot file (a path or a file:// URL), read as it is,
// or a source URL, attached headless (as --dump is) until it is ready, and taken then.

#include "models/Snapshot.h"

#include <expected>
#include <functional>

namespace regscope {

// demo, http://, etcd://, pid://... name a source; a path or file:// names a snapshot file.
bool isSourceUrl(const QString& operand);

using OperandDone = std::function<void(std::expected<SourceSnapshot, QString>)>;
// Calls done on the event loop (never before it returns) with the snapshot or an error.
void loadOperand(const QString& operand, int deadlineMs, OperandDone done);

} // namespace regscope
