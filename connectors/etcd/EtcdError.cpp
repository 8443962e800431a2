#include "connectors/etcd/EtcdError.h"

using namespace Qt::StringLiterals;

namespace regscope {

QString toString(EtcdError::Code code) {
    switch (code) {
    case EtcdError::Code::Unavailable:
        return u"unavailable"_s;
    case EtcdError::Code::NoLeader:
        return u"no leader"_s;
    case EtcdError::Code::DeadlineExceeded:
        return u"deadline exceeded"_s;
    case EtcdError::Code::Compacted:
        return u"compacted"_s;
    case EtcdError::Code::FutureRevision:
        return u"future revision"_s;
    case EtcdError::Code::Unauthenticated:
        return u"unauthenticated"_s;
    case EtcdError::Code::PermissionDenied:
        return u"permission denied"_s;
    case EtcdError::Code::InvalidArgument:
        return u"invalid argument"_s;
    case EtcdError::Code::TooLarge:
        return u"reply too large"_s;
    case EtcdError::Code::Canceled:
        return u"canceled"_s;
    case EtcdError::Code::LeaseNotFound:
        return u"lease not found"_s;
    case EtcdError::Code::NotEtcd:
        return u"not an etcd server"_s;
    case EtcdError::Code::Internal:
        return u"internal"_s;
    }
    return u"unknown"_s;
}

} // namespace regscope
