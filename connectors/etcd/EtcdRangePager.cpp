#include "connectors/etcd/EtcdRangePager.h"

#include <algorithm>

namespace regscope {

qint64 nextPageLimit(const EtcdOptions& options, qint64 current,
                     const std::vector<KeyRecord>& page) {
    if (page.empty())
        return current;
    qint64 bytes = 0;
    for (const KeyRecord& kv : page)
        bytes += kv.key.size() + kv.value.size() + 20; // + revisions, version, lease, tags
    const qint64 perKey = std::max<qint64>(1, bytes / static_cast<qint64>(page.size()));
    return std::clamp<qint64>(options.pageTargetBytes / perKey, 1,
                              std::max<qint64>(1, options.maxPageSize));
}

EtcdResult<qint64> readPaged(EtcdClient& client, const EtcdPagedRange& range,
                             const EtcdOptions& options, const EtcdPageInterrupt& interrupted,
                             const EtcdPageSink& sink) {
    EtcdRangeRequest req;
    req.key = range.key;
    req.rangeEnd = range.rangeEnd;
    req.limit = std::max<qint64>(1, options.pageSize);
    qint64 revision = range.revision;
    EtcdPage out;
    while (true) {
        if (interrupted)
            if (auto why = interrupted())
                return std::unexpected(*why);
        req.revision = revision;
        auto page = client.range(req);
        if (!page && page.error().code == EtcdError::Code::TooLarge && req.limit > 1) {
            req.limit = std::max<qint64>(1, req.limit / 2); // values are big: smaller pages
            continue;
        }
        if (!page)
            return std::unexpected(page.error());
        if (revision == 0)
            revision = page->revision;
        if (out.revision == 0) {
            out.revision = revision;
            out.total = page->count;
        }
        out.headerRevision = page->revision;
        const bool more = page->more && !page->kvs.empty();
        if (more)
            req.key = page->kvs.back().key + QByteArray(1, '\0');
        req.limit = nextPageLimit(options, req.limit, page->kvs);
        out.done += static_cast<qint64>(page->kvs.size());
        out.kvs = std::move(page->kvs);
        sink(out);
        if (!more)
            return revision;
    }
}

} // namespace regscope
