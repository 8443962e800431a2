#include "models/etcd/EtcdRevisionDiff.h"

namespace regscope {

std::vector<EtcdKeyChange> diffEtcdStates(const std::vector<KeyRecord>& before,
                                          const std::vector<KeyRecord>& after) {
    std::vector<EtcdKeyChange> out;
    size_t i = 0, j = 0;
    while (i < before.size() || j < after.size()) {
        if (j >= after.size() || (i < before.size() && before[i].key < after[j].key)) {
            out.push_back({EtcdKeyChange::Kind::Removed, before[i].key, before[i], {}});
            ++i;
        } else if (i >= before.size() || after[j].key < before[i].key) {
            out.push_back({EtcdKeyChange::Kind::Added, after[j].key, {}, after[j]});
            ++j;
        } else {
            if (before[i].value != after[j].value || before[i].lease != after[j].lease ||
                before[i].modRevision != after[j].modRevision)
                out.push_back({EtcdKeyChange::Kind::Changed, after[j].key, before[i], after[j]});
            ++i;
            ++j;
        }
    }
    return out;
}

} // namespace regscope
