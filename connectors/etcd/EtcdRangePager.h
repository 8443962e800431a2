#pragma once
// The one Range pager of the etcd connector, used by the first load and by time travel: reads
// [key, rangeEnd) in pages at one revision (the first page's when asked for the latest).
//
// etcd 3.4 walks the whole rest of the range on every paged Range (to fill `count`), so n
// keys in pages of p cost O(n²/p): pages are as big as the reply cap allows. The first page
// has options.pageSize keys; later ones are sized from the bytes per key seen so far to about
// options.pageTargetBytes (under the reply cap); a page still too large is retried at half.

#include "connectors/etcd/EtcdClient.h"

#include <functional>

namespace regscope {

struct EtcdPagedRange {
    QByteArray key;
    QByteArray rangeEnd;
    qint64 revision = 0; // 0: latest, pinned to the first page's header revision
};

struct EtcdPage {
    std::vector<KeyRecord> kvs; // sorted by key, moved out to the sink
    qint64 revision = 0;        // the revision every page is read at
    qint64 headerRevision = 0;  // the store's revision when this page was read
    qint64 total = 0;           // keys in the whole range (from the first page)
    qint64 done = 0;            // keys read so far, this page included
};

// Called between pages: an error ends the read with it (stop, cancel).
using EtcdPageInterrupt = std::function<std::optional<EtcdError>()>;
using EtcdPageSink = std::function<void(EtcdPage&)>;

// The revision read at, or the first error (Compacted when the revision went while paging).
EtcdResult<qint64> readPaged(EtcdClient& client, const EtcdPagedRange& range,
                             const EtcdOptions& options, const EtcdPageInterrupt& interrupted,
                             const EtcdPageSink& sink);

// The next page's key count: about pageTargetBytes at the bytes per key seen so far.
qint64 nextPageLimit(const EtcdOptions& options, qint64 current,
                     const std::vector<KeyRecord>& page);

} // namespace regscope
