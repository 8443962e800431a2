// The Prometheus text exposition parser (connectors/PrometheusText): whatever a discovery
// server's or an etcd member's /metrics answers.
#include "connectors/PrometheusText.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace Qt::StringLiterals;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QByteArray text(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    const auto all = regscope::parsePrometheusText(text);
    static const QSet<QString> wanted{u"discovery_instances"_s, u"etcd_server_has_leader"_s,
                                      u"a"_s};
    const auto some = regscope::parsePrometheusText(text, wanted);
    // A filter only ever removes samples.
    if (some.size() > all.size())
        std::abort();
    for (const auto& p : some)
        if (!wanted.contains(p.name))
            std::abort();
    return 0;
}
