#include "app/regscope/ConnectorFactory.h"

#include "connectors/inprocess/DemoConnector.h"

using namespace Qt::StringLiterals;

namespace regscope {

std::unique_ptr<Connector> makeConnector(const QString& url, QString* error) {
    const QString trimmed = url.trimmed();
    if (trimmed == u"demo" || trimmed.startsWith(u"demo?")) {
        DemoRegistry::Options demo;
        if (!DemoRegistry::parseUrl(trimmed, &demo, error))
            return nullptr;
        return std::make_unique<DemoConnector>(trimmed, demo, InProcessConnector::Options{});
    }
    const qsizetype colon = trimmed.indexOf(u"://");
    if (colon > 0)
        *error = u"unsupported source '%1': the scheme %2:// is not supported yet (use demo)"_s.arg(
            trimmed, trimmed.first(colon));
    else
        *error = u"unsupported source '%1': expected demo, http://host:port or "
                 u"etcd://host:port[,host:port]/prefix"_s.arg(trimmed);
    return nullptr;
}

} // namespace regscope
