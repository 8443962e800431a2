#include "app/regscope/JsonDump.h"

#include "models/Snapshot.h"

namespace regscope {

// The dump is the snapshot (models/Snapshot, docs/snapshot-schema.md): one schema for
// `--dump json`, File ▸ Save snapshot… and the file:// source.
QJsonObject dumpJson(const Store& store, const QString& url) {
    return toJson(takeSnapshot(store, url));
}

} // namespace regscope
