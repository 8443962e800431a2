#include "connectors/etcd/EtcdServiceLayout.h"

#include <nlohmann/json.hpp>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QString str(const nlohmann::json& obj, const char* field) {
    const auto it = obj.find(field);
    if (it == obj.end() || !it->is_string())
        return {};
    return QString::fromStdString(it->get<std::string>());
}

} // namespace

std::optional<InstanceRecord> instanceFromKey(const KeyRecord& kv,
                                              const QByteArray& servicePrefix) {
    if (servicePrefix.isEmpty() || !kv.key.startsWith(servicePrefix))
        return std::nullopt;
    const QByteArray rest = kv.key.mid(servicePrefix.size());
    const qsizetype slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.size() - 1 || rest.indexOf('/', slash + 1) >= 0)
        return std::nullopt;
    InstanceRecord r;
    r.appid = QString::fromUtf8(rest.left(slash));
    r.hostname = QString::fromUtf8(rest.mid(slash + 1));
    r.source = u"etcd"_s;
    r.leaseId = kv.lease;
    const nlohmann::json j =
        nlohmann::json::parse(kv.value.constBegin(), kv.value.constEnd(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return r; // a plain value still names an instance; it just says nothing more
    r.zone = str(j, "zone");
    r.env = str(j, "env");
    r.region = str(j, "region");
    r.version = str(j, "version");
    if (const QString host = str(j, "hostname"); !host.isEmpty())
        r.hostname = host;
    if (const auto it = j.find("addrs"); it != j.end() && it->is_array()) {
        for (const auto& a : *it)
            if (a.is_string())
                r.addrs.append(QString::fromStdString(a.get<std::string>()));
    } else if (const QString addr = str(j, "addr"); !addr.isEmpty()) {
        r.addrs.append(addr);
    }
    if (const auto it = j.find("status"); it != j.end() && it->is_number_integer())
        r.status = it->get<int>();
    if (const auto it = j.find("metadata"); it != j.end() && it->is_object()) {
        for (auto m = it->begin(); m != it->end(); ++m)
            r.metadata.insert(QString::fromStdString(m.key()),
                              m->is_string() ? QString::fromStdString(m->get<std::string>())
                                             : QString::fromStdString(m->dump()));
    }
    return r;
}

} // namespace regscope
