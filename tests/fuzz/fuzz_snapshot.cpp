// The snapshot reader (models/SnapshotJson, models/RecordJsonRead): whatever file a user opens
// as file:// or hands to --diff. It never crashes, and what it accepts writes back to a
// document it reads again to the same records (the round trip the schema promises).
#include "models/RecordJson.h"
#include "models/Snapshot.h"

#include <QJsonDocument>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QByteArray bytes(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    const auto read = regscope::readSnapshot(bytes);
    if (!read)
        return 0;
    for (const regscope::SourceSnapshot& s : *read) {
        const auto again = regscope::readSnapshot(QJsonDocument(regscope::toJson(s)).toJson());
        if (!again || again->size() != 1)
            std::abort();
        for (size_t kind = 0; kind < s.records.size(); ++kind)
            if (again->front().records[kind] != s.records[kind])
                std::abort();
    }
    return 0;
}
