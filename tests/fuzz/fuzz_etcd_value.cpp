// The etcd value formatter (models/etcd/EtcdValueFormat): keys and values from any etcd
// cluster, shown as JSON, UTF-8 text or a hex dump.
#include "models/etcd/EtcdValueFormat.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using regscope::EtcdValueKind;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QByteArray value(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    const EtcdValueKind kind = regscope::classifyEtcdValue(value);
    (void)regscope::toString(kind);
    (void)regscope::etcdKeyDisplay(value);
    for (const EtcdValueKind k :
         {kind, EtcdValueKind::Json, EtcdValueKind::Text, EtcdValueKind::Binary}) {
        for (const int maxChars : {200, 1, 0}) {
            const QString preview = regscope::etcdValuePreview(value, k, maxChars);
            if (maxChars > 0 && preview.size() > maxChars)
                std::abort();
        }
        (void)regscope::etcdValuePretty(value, k);
    }
    return 0;
}
