#pragma once
// What changed between two states of the prefix (time travel).

#include "models/SourceEvent.h"

#include <vector>

namespace regscope {

struct EtcdKeyChange {
    enum class Kind : quint8 { Added, Removed, Changed };
    Kind kind = Kind::Added;
    QByteArray key;
    KeyRecord before; // empty key when added
    KeyRecord after;  // empty key when removed
};

// Both inputs sorted by key (as Range returns them). A key is "changed" when its value, lease
// or mod revision differs.
std::vector<EtcdKeyChange> diffEtcdStates(const std::vector<KeyRecord>& before,
                                          const std::vector<KeyRecord>& after);

} // namespace regscope
