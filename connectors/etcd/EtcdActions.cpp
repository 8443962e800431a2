#include "connectors/etcd/EtcdActions.h"

#include "connectors/etcd/EtcdClient.h"
#include "models/etcd/EtcdIds.h"

#include <QDateTime>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

using Code = ActionResult::Code;

ActionResult fromError(const EtcdError& e) {
    Code code = Code::ServerError;
    switch (e.code) {
    case EtcdError::Code::Canceled:
        code = Code::Canceled;
        break;
    case EtcdError::Code::Unavailable:
    case EtcdError::Code::NoLeader:
    case EtcdError::Code::DeadlineExceeded:
        code = Code::Unavailable;
        break;
    case EtcdError::Code::LeaseNotFound:
        code = Code::NotFound;
        break;
    case EtcdError::Code::InvalidArgument:
    case EtcdError::Code::TooLarge:
        code = Code::InvalidRequest;
        break;
    default:
        break;
    }
    ActionResult r = ActionResult::failure(code, e.message);
    if (code == Code::Canceled)
        r.message = u"canceled while in flight; if etcd had already received it the change "
                    u"may be applied: the keys view shows etcd's state"_s;
    return r;
}

QString keyText(const QByteArray& key) {
    return QString::fromUtf8(key);
}

// A connected client for this action: the source's endpoints in order.
EtcdResult<std::unique_ptr<EtcdClient>> connectClient(const EtcdOptions& options,
                                                      const std::shared_ptr<EtcdCallGroup>& group) {
    EtcdError last{EtcdError::Code::Unavailable, u"no etcd endpoint configured"_s};
    for (const QString& endpoint : options.endpoints) {
        auto client = std::make_unique<EtcdClient>(endpoint, options);
        if (group)
            client->setCallGroup(group);
        auto connected = client->connect();
        if (connected)
            return client;
        last = connected.error();
        if (last.code == EtcdError::Code::Canceled || last.code == EtcdError::Code::Unauthenticated)
            break;
    }
    return std::unexpected(last);
}

// One key, put or deleted only if it is still at the mod_revision the user saw.
ActionResult guardedKeyWrite(EtcdClient& c, const ActionRequest& r, EtcdGuardedWrite::Op op) {
    EtcdGuardedWrite w;
    w.op = op;
    w.key = r.key;
    w.value = r.value;
    w.lease = r.lease;
    w.modRevision = r.expectedModRevision;
    auto out = c.guardedWrite(w);
    if (!out)
        return fromError(out.error());
    const bool isPut = op == EtcdGuardedWrite::Op::Put;
    ActionResult res;
    res.revision = out->revision;
    if (out->succeeded) {
        res.count = isPut ? 1 : out->deleted;
        res.message = (isPut ? u"written at revision "_s : u"deleted at revision "_s) +
                      QString::number(out->revision);
        return res;
    }
    res.code = Code::Conflict;
    res.currentExists = !out->found.empty();
    if (res.currentExists)
        res.current = out->found.front();
    const QString key = u"refused: "_s + keyText(r.key);
    if (r.expectedModRevision == 0 && res.currentExists)
        res.message = key + u" exists already (mod_revision "_s +
                      QString::number(res.current.modRevision) + u')';
    else if (!res.currentExists)
        res.message = key + (isPut ? u" was deleted after you saw it"_s : u" is already gone"_s);
    else
        res.message = key + u" changed after you saw it (mod_revision "_s +
                      QString::number(res.current.modRevision) + u", you saw "_s +
                      QString::number(r.expectedModRevision) + u')';
    return res;
}

ActionResult deletePrefix(EtcdClient& c, const ActionRequest& r, int maxReadBack) {
    EtcdGuardedWrite w;
    w.op = EtcdGuardedWrite::Op::Delete;
    w.key = r.key;
    w.rangeEnd = prefixRangeEnd(r.key);
    w.guard = EtcdGuardedWrite::Guard::ModLessThan;
    w.modRevision = r.seenRevision + 1;
    w.readBackLimit = maxReadBack;
    w.readBackMinModRevision = r.seenRevision + 1;
    auto out = c.guardedWrite(w);
    if (!out)
        return fromError(out.error());
    ActionResult res;
    res.revision = out->revision;
    if (out->succeeded) {
        res.count = out->deleted;
        res.message = u"deleted "_s + QString::number(out->deleted) + u" keys at revision "_s +
                      QString::number(out->revision);
        if (out->deleted != r.expectedCount)
            res.message += u" (you saw "_s + QString::number(r.expectedCount) +
                           u": the others were deleted meanwhile)"_s;
        return res;
    }
    res.code = Code::Conflict;
    QStringList changed;
    for (const auto& kv : out->found)
        changed << keyText(kv.key) + u" (mod_revision "_s + QString::number(kv.modRevision) + u')';
    if (!out->found.empty()) {
        res.currentExists = true;
        res.current = out->found.front();
    }
    res.message = u"refused: keys under "_s + keyText(r.key) + u" changed after revision "_s +
                  QString::number(r.seenRevision) + u": "_s + changed.join(u", "_s);
    return res;
}

ActionResult leaseKeys(EtcdClient& c, qint64 lease) {
    auto info = c.leaseTimeToLive(lease, true);
    if (!info)
        return fromError(info.error());
    if (info->ttl < 0)
        return ActionResult::failure(Code::NotFound,
                                     u"lease "_s + etcdLeaseText(lease) + u" not found"_s);
    ActionResult res;
    res.count = info->keys.size();
    res.leases.append(*info);
    return res;
}

ActionResult leaseList(EtcdClient& c, int maxLeases) {
    auto ids = c.leaseList();
    if (!ids)
        return fromError(ids.error());
    ActionResult res;
    res.count = static_cast<qint64>(ids->size());
    int unread = 0;
    QString lastError;
    for (const qint64 id : *ids) {
        if (res.leases.size() >= maxLeases) {
            res.message = u"showing "_s + QString::number(maxLeases) + u" of "_s +
                          QString::number(ids->size()) + u" leases"_s;
            break;
        }
        auto info = c.leaseTimeToLive(id, true);
        if (!info) {
            if (info.error().code == EtcdError::Code::Canceled)
                return fromError(info.error());
            if (info.error().code == EtcdError::Code::LeaseNotFound)
                continue; // revoked or expired between the list and this call
            // Not dropped in silence: the message says how many could not be read, and why.
            ++unread;
            lastError = info.error().message;
            continue;
        }
        if (info->ttl >= 0)
            res.leases.append(*info);
    }
    if (unread > 0)
        res.message += (res.message.isEmpty() ? u""_s : u"; "_s) + QString::number(unread) +
                       u" leases could not be read ("_s + lastError + u")"_s;
    return res;
}

ActionResult leaseRevoke(EtcdClient& c, qint64 lease) {
    // The keys bound to it, to say what went with it.
    auto before = c.leaseTimeToLive(lease, true);
    auto revoked = c.leaseRevoke(lease);
    if (!revoked)
        return fromError(revoked.error());
    ActionResult res;
    res.count = before && before->ttl >= 0 ? before->keys.size() : 0;
    res.message = u"revoked lease "_s + etcdLeaseText(lease) + u"; "_s +
                  QString::number(res.count) + u" keys were attached"_s;
    return res;
}

ActionResult leaseKeepAlive(EtcdClient& c, qint64 lease, int timeoutMs) {
    auto stream = c.openKeepAlive(timeoutMs);
    if (!stream)
        return fromError(stream.error());
    auto ttl = (*stream)->keepAlive(lease, timeoutMs);
    if (!ttl)
        return fromError(ttl.error());
    if (*ttl <= 0)
        return ActionResult::failure(Code::NotFound, u"lease "_s + etcdLeaseText(lease) +
                                                         u" not found (expired or revoked)"_s);
    ActionResult res;
    LeaseInfo info;
    info.id = lease;
    info.ttl = *ttl;
    info.grantedTtl = *ttl;
    info.fetchedAtMs = QDateTime::currentMSecsSinceEpoch();
    res.leases.append(info);
    res.message =
        u"lease "_s + etcdLeaseText(lease) + u" renewed: TTL "_s + QString::number(*ttl) + u" s"_s;
    return res;
}

// Every version of the key's current life still in etcd's history, newest first: a Range at
// each version's mod_revision - 1 gives the version before it, until version 1 or compaction.
ActionResult keyHistory(EtcdClient& c, const ActionRequest& r) {
    EtcdRangeRequest q;
    q.key = r.key;
    auto page = c.range(q);
    if (!page)
        return fromError(page.error());
    if (page->kvs.empty())
        return ActionResult::failure(Code::NotFound, keyText(r.key) + u" does not exist now"_s);
    ActionResult res;
    res.revision = page->revision;
    res.history.push_back(page->kvs.front());
    const int limit = std::max(1, r.historyLimit);
    while (res.history.back().version > 1) {
        if (static_cast<int>(res.history.size()) >= limit) {
            res.historyTruncated = true;
            res.message = u"showing the newest "_s + QString::number(limit) + u" revisions"_s;
            break;
        }
        q.revision = res.history.back().modRevision - 1;
        page = c.range(q);
        if (!page && page.error().code == EtcdError::Code::Compacted) {
            res.historyTruncated = true;
            res.message = u"older revisions are compacted"_s;
            break;
        }
        if (!page)
            return fromError(page.error());
        if (page->kvs.empty())
            break;
        res.history.push_back(page->kvs.front());
    }
    res.count = static_cast<qint64>(res.history.size());
    return res;
}

} // namespace

EtcdActions::EtcdActions(EtcdOptions options)
    : EtcdActions(std::move(options), Limits{}) {}

EtcdActions::EtcdActions(EtcdOptions options, Limits limits)
    : m_options(std::move(options))
    , m_limits(limits) {
    m_pool.setMaxThreadCount(std::max(1, m_limits.threads));
}

EtcdActions::~EtcdActions() {
    {
        std::lock_guard lock(m_mutex);
        for (auto& [id, group] : m_groups)
            group->cancelAll();
    }
    m_pool.waitForDone();
}

bool EtcdActions::supports(ActionKind kind) const {
    switch (kind) {
    case ActionKind::EtcdPut:
    case ActionKind::EtcdDelete:
    case ActionKind::EtcdDeletePrefix:
    case ActionKind::EtcdLeaseRevoke:
    case ActionKind::EtcdLeaseKeepAlive:
    case ActionKind::EtcdLeaseList:
    case ActionKind::EtcdLeaseKeys:
    case ActionKind::EtcdKeyHistory:
        return true;
    default:
        return false;
    }
}

void EtcdActions::execute(ActionId id, const ActionRequest& request, Done done) {
    auto group = std::make_shared<EtcdCallGroup>();
    {
        std::lock_guard lock(m_mutex);
        m_groups[id] = group;
    }
    m_pool.start([this, id, request, group, done = std::move(done)] {
        ActionResult result = run(request, group);
        if (group->canceled() && result.code != Code::Ok)
            result = fromError(EtcdError{EtcdError::Code::Canceled, QString()});
        {
            std::lock_guard lock(m_mutex);
            m_groups.erase(id);
        }
        done(std::move(result));
    });
}

void EtcdActions::cancel(ActionId id) {
    std::lock_guard lock(m_mutex);
    if (const auto it = m_groups.find(id); it != m_groups.end())
        it->second->cancelAll();
}

ActionResult EtcdActions::run(const ActionRequest& r, std::shared_ptr<EtcdCallGroup> group) {
    if (!supports(r.kind))
        return ActionResult::failure(Code::Unsupported, u"not an etcd action"_s);
    const bool keyed = r.kind == ActionKind::EtcdPut || r.kind == ActionKind::EtcdDelete ||
                       r.kind == ActionKind::EtcdDeletePrefix ||
                       r.kind == ActionKind::EtcdKeyHistory;
    if (keyed && r.key.isEmpty())
        return ActionResult::failure(Code::InvalidRequest, u"no key given"_s);
    if (keyed && !r.key.startsWith(m_options.prefix))
        return ActionResult::failure(Code::InvalidRequest,
                                     keyText(r.key) + u" is outside this source's prefix "_s +
                                         QString::fromUtf8(m_options.prefix));
    auto client = connectClient(m_options, group);
    if (!client)
        return fromError(client.error());
    EtcdClient& c = **client;
    switch (r.kind) {
    case ActionKind::EtcdPut:
        return guardedKeyWrite(c, r, EtcdGuardedWrite::Op::Put);
    case ActionKind::EtcdDelete:
        return guardedKeyWrite(c, r, EtcdGuardedWrite::Op::Delete);
    case ActionKind::EtcdDeletePrefix:
        return deletePrefix(c, r, m_limits.maxReadBack);
    case ActionKind::EtcdLeaseRevoke:
        return leaseRevoke(c, r.lease);
    case ActionKind::EtcdLeaseKeepAlive:
        return leaseKeepAlive(c, r.lease, m_options.callTimeoutMs);
    case ActionKind::EtcdLeaseList:
        return leaseList(c, m_limits.maxLeases);
    case ActionKind::EtcdLeaseKeys:
        return leaseKeys(c, r.lease);
    case ActionKind::EtcdKeyHistory:
        return keyHistory(c, r);
    default:
        return ActionResult::failure(Code::Unsupported, u"not an etcd action"_s);
    }
}

} // namespace regscope
