#pragma once
// Errors of the etcd client as values: a code to branch on, words for the user.

#include <QString>

#include <expected>

namespace regscope {

struct EtcdError {
    enum class Code {
        Unavailable,      // cannot reach the member, or it went away
        NoLeader,         // the member has lost its leader (hasleader metadata)
        DeadlineExceeded, // the call did not finish in time
        Compacted,        // the revision asked for has been compacted
        FutureRevision,   // the revision asked for does not exist yet
        Unauthenticated,  // bad user/password or expired token
        PermissionDenied,
        InvalidArgument,
        TooLarge, // the reply exceeded the message size cap
        Canceled, // we canceled it (stop, cancel)
        LeaseNotFound,
        NotEtcd, // the endpoint answers, but not as an etcd/gRPC server
        Internal,
    };
    Code code = Code::Internal;
    QString message;
};

QString toString(EtcdError::Code code);

template <typename T>
using EtcdResult = std::expected<T, EtcdError>;

} // namespace regscope
