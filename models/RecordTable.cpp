#include "models/RecordTable.h"

#include <algorithm>
#include <bit>
#include <cstdint>

namespace regscope {

namespace {

constexpr quint8 kAlive = 0x80;

struct Hasher {
    quint64 h = 1469598103934665603ull;
    void feed(QStringView s) {
        for (const QChar c : s) {
            h ^= c.unicode();
            h *= 1099511628211ull;
        }
    }
    // Bytes that escapeBytes() keeps as they are (plainBytes): the same as feeding their text.
    void feed(QByteArrayView s) {
        for (const char c : s) {
            h ^= quint8(c);
            h *= 1099511628211ull;
        }
    }
    quint32 result() const { return quint32(h ^ (h >> 32)); }
};

// ASCII without a backslash: escapeBytes() gives these bytes back one char each, so a key's
// id can be hashed and compared without building it (etcd keys nearly always are).
bool plainBytes(const QByteArray& bytes) {
    for (const char c : bytes)
        if ((quint8(c) & 0x80) || c == '\\')
            return false;
    return true;
}

// The pieces whose concatenation is recordId(record) (SourceEvent.cpp); kept in step with it
// by RecordTable's tests.
template <class F>
void forEachIdPiece(const Record& record, F&& f) {
    if (const auto* e = std::get_if<EntryRecord>(&record)) {
        if (!e->registry.isEmpty()) {
            f(QStringView(e->registry));
            f(QStringView(u"#"));
        }
        f(QStringView(e->tenant));
        f(QStringView(u"/"));
        f(QStringView(e->name));
        if (e->aliasOf.isEmpty()) {
            f(QStringView(u"@"));
            f(QStringView(e->version));
        }
    } else if (const auto* i = std::get_if<InstanceRecord>(&record)) {
        f(QStringView(i->appid));
        f(QStringView(u"/"));
        f(QStringView(i->zone));
        f(QStringView(u"/"));
        f(QStringView(i->env));
        f(QStringView(u"/"));
        f(QStringView(i->hostname));
    } else if (const auto* k = std::get_if<KeyRecord>(&record); k && plainBytes(k->key)) {
        f(QByteArrayView(k->key));
    } else {
        const QString id = recordId(record);
        f(QStringView(id));
    }
}

bool equalPiece(QStringView id, QStringView piece) {
    return id == piece;
}
bool equalPiece(QStringView id, QByteArrayView piece) {
    for (qsizetype i = 0; i < piece.size(); ++i)
        if (id[i].unicode() != quint8(piece[i]))
            return false;
    return true;
}

bool sameId(const Record& a, const Record& b) {
    if (a.index() != b.index())
        return false;
    if (const auto* x = std::get_if<EntryRecord>(&a)) {
        const auto& y = std::get<EntryRecord>(b);
        const bool alias = !x->aliasOf.isEmpty();
        return alias == !y.aliasOf.isEmpty() && x->name == y.name && x->tenant == y.tenant &&
               x->registry == y.registry && (alias || x->version == y.version);
    }
    if (const auto* x = std::get_if<InstanceRecord>(&a)) {
        const auto& y = std::get<InstanceRecord>(b);
        return x->hostname == y.hostname && x->appid == y.appid && x->zone == y.zone &&
               x->env == y.env;
    }
    return std::get<KeyRecord>(a).key == std::get<KeyRecord>(b).key;
}

} // namespace

quint32 idHash(QStringView id) {
    Hasher h;
    h.feed(id);
    return h.result();
}

quint32 idHash(const Record& record) {
    Hasher h;
    forEachIdPiece(record, [&h](auto piece) { h.feed(piece); });
    return h.result();
}

bool idEquals(const Record& record, QStringView id) {
    qsizetype pos = 0;
    bool equal = true;
    forEachIdPiece(record, [&](auto piece) {
        if (!equal)
            return;
        if (id.size() - pos < piece.size() || !equalPiece(id.sliced(pos, piece.size()), piece))
            equal = false;
        pos += piece.size();
    });
    return equal && pos == id.size();
}

// --- RecordSlots ----------------------------------------------------------------------------

void RecordSlots::push_back(Record&& record) {
    if (m_segs.empty())
        reserve(256); // small tables stay small; big ones grow by kChunk
    std::vector<Record>* seg = &m_segs.back();
    if (seg->size() == seg->capacity()) {
        seg = &m_segs.emplace_back();
        seg->reserve(kChunk);
    }
    seg->push_back(std::move(record));
    ++m_size;
}

void RecordSlots::reserve(size_t n) {
    if (m_size != 0 || n <= m_first)
        return;
    m_segs.clear();
    m_segs.emplace_back().reserve(n);
    m_first = m_segs[0].capacity();
}

void RecordSlots::adopt(std::vector<Record>&& records) {
    Q_ASSERT(m_size == 0);
    m_segs.clear();
    m_size = records.size();
    m_segs.push_back(std::move(records));
    m_first = m_segs[0].capacity();
}

void RecordSlots::clear() {
    m_segs.clear();
    m_first = 0;
    m_size = 0;
}

// --- RecordTable ----------------------------------------------------------------------------

const Record* RecordTable::find(QStringView id) const {
    const quint32 slot = findSlot(id, idHash(id));
    return slot == kEmpty ? nullptr : &m_slots[slot];
}

void RecordTable::forEach(const std::function<void(const Record&)>& fn) const {
    m_slots.visit(0, m_slots.size(), [&](size_t i, const Record& r) {
        if (m_flags[i] & kAlive)
            fn(r);
    });
}

qsizetype RecordTable::scan(qsizetype from, qsizetype count,
                            const std::function<void(const Record&)>& fn) const {
    const size_t end = std::min(m_slots.size(), size_t(std::max<qsizetype>(0, from + count)));
    m_slots.visit(size_t(std::max<qsizetype>(0, from)), end, [&](size_t i, const Record& r) {
        if (m_flags[i] & kAlive)
            fn(r);
    });
    return end >= m_slots.size() ? -1 : qsizetype(end);
}

void RecordTable::reserve(qsizetype n) {
    m_slots.reserve(size_t(n));
    m_hashes.reserve(size_t(n));
    m_flags.reserve(size_t(n));
    if (qsizetype(m_buckets.size()) * 7 < n * 10)
        rehash(n * 10 / 7 + 1);
}

quint32 RecordTable::findSlot(QStringView id, quint32 hash) const {
    if (m_buckets.empty())
        return kEmpty;
    const size_t mask = m_buckets.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const quint32 slot = m_buckets[i];
        if (slot == kEmpty)
            return kEmpty;
        if (slot != kTomb && m_hashes[slot] == hash && idEquals(m_slots[slot], id))
            return slot;
    }
}

quint32 RecordTable::findSlot(const Record& record, quint32 hash) const {
    if (m_buckets.empty())
        return kEmpty;
    const size_t mask = m_buckets.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const quint32 slot = m_buckets[i];
        if (slot == kEmpty)
            return kEmpty;
        if (slot != kTomb && m_hashes[slot] == hash && sameId(m_slots[slot], record))
            return slot;
    }
}

void RecordTable::rehash(qsizetype minBuckets) {
    const size_t n = std::bit_ceil(size_t(std::max<qsizetype>(minBuckets, 16)));
    m_buckets.assign(n, kEmpty);
    m_tombs = 0;
    for (size_t s = 0; s < m_slots.size(); ++s) {
        if (!(m_flags[s] & kAlive))
            continue;
        const size_t mask = n - 1;
        size_t i = m_hashes[s] & mask;
        while (m_buckets[i] != kEmpty)
            i = (i + 1) & mask;
        m_buckets[i] = quint32(s);
    }
}

void RecordTable::insertIndex(quint32 slot, quint32 hash) {
    if (qsizetype(m_buckets.size()) * 7 <= (m_live + m_tombs + 1) * 10) {
        const qsizetype wanted = (m_live + 1) * 2 * 10 / 7;
        rehash(wanted);
    }
    const size_t mask = m_buckets.size() - 1;
    size_t i = hash & mask;
    while (m_buckets[i] != kEmpty && m_buckets[i] != kTomb)
        i = (i + 1) & mask;
    if (m_buckets[i] == kTomb)
        --m_tombs;
    m_buckets[i] = slot;
}

void RecordTable::eraseIndex(quint32 slot) {
    const size_t mask = m_buckets.size() - 1;
    for (size_t i = m_hashes[slot] & mask;; i = (i + 1) & mask) {
        if (m_buckets[i] == slot) {
            m_buckets[i] = kTomb;
            ++m_tombs;
            return;
        }
        Q_ASSERT(m_buckets[i] != kEmpty);
    }
}

template <class R>
quint32 RecordTable::findOrInsert(R&& record, quint32 hash, bool* inserted) {
    if (qsizetype(m_buckets.size()) * 7 <= (m_live + m_tombs + 1) * 10)
        rehash((m_live + 1) * 2 * 10 / 7);
    const size_t mask = m_buckets.size() - 1;
    size_t firstTomb = SIZE_MAX;
    size_t i = hash & mask;
    for (;; i = (i + 1) & mask) {
        const quint32 slot = m_buckets[i];
        if (slot == kEmpty)
            break;
        if (slot == kTomb) {
            if (firstTomb == SIZE_MAX)
                firstTomb = i;
        } else if (m_hashes[slot] == hash && sameId(m_slots[slot], record)) {
            *inserted = false;
            return slot;
        }
    }
    *inserted = true;
    quint32 slot;
    if (!m_free.empty()) {
        slot = m_free.back();
        m_free.pop_back();
        m_slots[slot] = std::forward<R>(record);
        m_hashes[slot] = hash;
        m_flags[slot] = kAlive;
    } else {
        slot = quint32(m_slots.size());
        m_slots.push_back(std::forward<R>(record));
        m_hashes.push_back(hash);
        m_flags.push_back(kAlive);
    }
    if (firstTomb != SIZE_MAX) {
        i = firstTomb;
        --m_tombs;
    }
    m_buckets[i] = slot;
    ++m_live;
    return slot;
}

void RecordTable::freeSlot(quint32 slot) {
    eraseIndex(slot);
    m_flags[slot] = 0; // the record itself stays readable until releaseRemoved()
    m_freedThisFlush.push_back(slot);
    --m_live;
}

void RecordTable::touch(quint32 slot, quint8 flags) {
    if (!(m_flags[slot] & Touched))
        m_touched.push_back(slot);
    m_flags[slot] |= quint8(flags | Touched);
}

template <class R>
void RecordTable::upsertImpl(R&& record) {
    bool inserted = false;
    const quint32 slot = findOrInsert(std::forward<R>(record), idHash(record), &inserted);
    if (inserted) {
        touch(slot, NewInFlush);
    } else if (!(m_slots[slot] == record)) {
        m_slots[slot] = std::forward<R>(record);
        touch(slot, 0);
    }
}

void RecordTable::upsert(const Record& record) {
    upsertImpl(record);
}

void RecordTable::upsert(Record&& record) {
    upsertImpl(std::move(record));
}

void RecordTable::remove(QStringView id) {
    const quint32 slot = findSlot(id, idHash(id));
    if (slot == kEmpty)
        return;
    if (!(m_flags[slot] & NewInFlush))
        m_removedIds.append(id.toString());
    freeSlot(slot);
}

template <class R>
void RecordTable::mergeRecord(R&& record) {
    bool inserted = false;
    const quint32 slot = findOrInsert(std::forward<R>(record), idHash(record), &inserted);
    if (inserted) {
        touch(slot, NewInFlush | Seen);
    } else {
        m_flags[slot] |= Seen;
        if (!(m_slots[slot] == record)) {
            m_slots[slot] = std::forward<R>(record);
            touch(slot, 0);
        }
    }
}

void RecordTable::mergeSnapshot(const std::vector<Record>& records) {
    if (m_live == 0)
        reserve(qsizetype(records.size()));
    for (const Record& record : records)
        mergeRecord(record);
    removeUnseen();
}

void RecordTable::mergeSnapshot(std::vector<Record>&& records) {
    if (m_slots.empty()) {
        adoptSnapshot(std::move(records));
        return;
    }
    if (m_live == 0)
        reserve(qsizetype(records.size()));
    for (Record& record : records)
        mergeRecord(std::move(record));
    records.clear();
    removeUnseen();
}

// The first state of an empty table: the snapshot's vector becomes the slots, and only the
// index is built. A later duplicate of an id wins, as in a merge; its own slot is freed.
void RecordTable::adoptSnapshot(std::vector<Record>&& records) {
    const size_t n = records.size();
    m_slots.adopt(std::move(records));
    m_hashes.assign(n, 0);
    m_flags.assign(n, 0);
    m_touched.reserve(m_touched.size() + n);
    rehash(qsizetype(n) * 10 / 7 + 1);
    const size_t mask = m_buckets.size() - 1;
    // Hashes first (a sequential pass), then the buckets with the ones a few records ahead
    // already on their way to the cache: a million-slot index is far bigger than the cache.
    m_slots.visit(0, n, [&](size_t s, const Record& r) { m_hashes[s] = idHash(r); });
    constexpr size_t kAhead = 16;
    for (size_t s = 0; s < n; ++s) {
        if (s + kAhead < n)
            __builtin_prefetch(&m_buckets[m_hashes[s + kAhead] & mask], 1);
        Record& record = m_slots[s];
        const quint32 hash = m_hashes[s];
        size_t i = hash & mask;
        quint32 slot = m_buckets[i];
        while (slot != kEmpty && !(m_hashes[slot] == hash && sameId(m_slots[slot], record))) {
            i = (i + 1) & mask;
            slot = m_buckets[i];
        }
        if (slot == kEmpty) {
            m_buckets[i] = quint32(s);
            m_flags[s] = kAlive;
            ++m_live;
            touch(quint32(s), NewInFlush);
            continue;
        }
        if (!(m_slots[slot] == record))
            m_slots[slot] = std::move(record);
        record = Record{};
        m_freedThisFlush.push_back(quint32(s));
    }
}

// After a merge: every record the snapshot did not name goes.
void RecordTable::removeUnseen() {
    for (size_t s = 0; s < m_slots.size(); ++s) {
        if (!(m_flags[s] & kAlive))
            continue;
        if (m_flags[s] & Seen) {
            m_flags[s] &= quint8(~Seen);
            continue;
        }
        if (!(m_flags[s] & NewInFlush))
            m_removedIds.append(recordId(m_slots[s]));
        freeSlot(quint32(s));
    }
}

void RecordTable::clear() {
    for (size_t s = 0; s < m_slots.size(); ++s) {
        if ((m_flags[s] & kAlive) && !(m_flags[s] & NewInFlush))
            m_removedIds.append(recordId(m_slots[s]));
    }
    m_graveyard = std::move(m_slots); // readable until releaseRemoved()
    m_slots.clear();
    m_unreleased.clear();
    m_hashes.clear();
    m_flags.clear();
    m_free.clear();
    m_freedThisFlush.clear();
    m_buckets.clear();
    m_touched.clear();
    m_live = 0;
    m_tombs = 0;
}

void RecordTable::takeChanges(QStringList* upserted, QStringList* removed,
                              std::vector<const Record*>* records) {
    upserted->reserve(qsizetype(m_touched.size()));
    if (records)
        records->reserve(m_touched.size());
    for (const quint32 slot : m_touched) {
        if (slot >= m_flags.size())
            continue; // cleared meanwhile
        if (m_flags[slot] & kAlive) {
            upserted->append(recordId(m_slots[slot]));
            if (records)
                records->push_back(&m_slots[slot]);
        }
        m_flags[slot] &= kAlive;
    }
    for (const QString& id : std::as_const(m_removedIds)) {
        if (!find(id))
            removed->append(id);
    }
    removed->removeDuplicates();
    m_touched.clear();
    m_removedIds.clear();
    m_free.insert(m_free.end(), m_freedThisFlush.begin(), m_freedThisFlush.end());
    m_unreleased.insert(m_unreleased.end(), m_freedThisFlush.begin(), m_freedThisFlush.end());
    m_freedThisFlush.clear();
}

void RecordTable::releaseRemoved() {
    for (const quint32 slot : m_unreleased)
        if (slot < m_flags.size() && !(m_flags[slot] & kAlive))
            m_slots[slot] = Record{};
    m_unreleased.clear();
    m_graveyard.clear();
}

} // namespace regscope
