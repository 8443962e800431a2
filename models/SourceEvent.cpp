#include "models/SourceEvent.h"

#include "models/ByteText.h"

using namespace Qt::StringLiterals;

namespace regscope {

QString toString(HealthState state) {
    switch (state) {
    case HealthState::Connecting:
        return u"connecting"_s;
    case HealthState::Live:
        return u"live"_s;
    case HealthState::Degraded:
        return u"degraded"_s;
    case HealthState::Down:
        return u"down"_s;
    }
    return u"unknown"_s;
}

QString toString(ProbeState state) {
    switch (state) {
    case ProbeState::Up:
        return u"up"_s;
    case ProbeState::Refused:
        return u"refused"_s;
    case ProbeState::Timeout:
        return u"timeout"_s;
    case ProbeState::Unhealthy:
        return u"unhealthy"_s;
    }
    return u"refused"_s;
}

RecordKind kindOf(const Record& record) {
    return static_cast<RecordKind>(record.index());
}

QString recordId(const EntryRecord& r) {
    if (!r.registry.isEmpty()) {
        if (!r.aliasOf.isEmpty())
            return r.registry % u'#' % r.tenant % u'/' % r.name;
        return r.registry % u'#' % r.tenant % u'/' % r.name % u'@' % r.version;
    }
    if (!r.aliasOf.isEmpty())
        return r.tenant % u'/' % r.name;
    return r.tenant % u'/' % r.name % u'@' % r.version;
}

QString recordId(const InstanceRecord& r) {
    return r.appid % u'/' % r.zone % u'/' % r.env % u'/' % r.hostname;
}

QString recordId(const KeyRecord& r) {
    return escapeBytes(r.key); // lossless: two different keys never share an id
}

QString recordId(const Record& r) {
    return std::visit([](const auto& v) { return recordId(v); }, r);
}

} // namespace regscope
