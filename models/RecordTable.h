#pragma once
// One kind's records, keyed by recordId() without storing the id: the id is hashed and
// compared piece by piece from the record's fields, so a million entries cost their slot,
// 8 bytes of index and nothing else. Tracks what one flush changed for Store's signals.
//
// Slots live in segments that never move (RecordSlots): growing by a million records copies
// nothing and never holds the old and the new array at once, and a record keeps its address
// while it is alive. A snapshot into an empty table can hand its vector over whole.

#include "models/SourceEvent.h"

#include <QStringList>

#include <algorithm>
#include <functional>
#include <vector>

namespace regscope {

// The slots: segment 0 holds the first `m_first` slots (an adopted snapshot's vector, or a
// small first segment), every later segment kChunk. No segment ever reallocates.
class RecordSlots {
public:
    static constexpr size_t kShift = 12;
    static constexpr size_t kChunk = size_t(1) << kShift;

    Record& operator[](size_t i) { return i < m_first ? m_segs[0][i] : at(i - m_first); }
    const Record& operator[](size_t i) const {
        return i < m_first ? m_segs[0][i] : const_cast<RecordSlots*>(this)->at(i - m_first);
    }
    size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    void push_back(Record&& record);
    void push_back(const Record& record) { push_back(Record(record)); }
    // Only while empty: the first segment holds n slots.
    void reserve(size_t n);
    // Only while empty: `records` becomes segment 0 as it is (nothing is copied).
    void adopt(std::vector<Record>&& records);
    void clear();
    // Calls fn(slot, record) for every slot in [from, to).
    template <class F>
    void visit(size_t from, size_t to, F&& fn) const {
        for (size_t i = from; i < to;) {
            const size_t seg = i < m_first ? 0 : 1 + ((i - m_first) >> kShift);
            const size_t base = seg == 0 ? 0 : m_first + ((seg - 1) << kShift);
            const std::vector<Record>& s = m_segs[seg];
            const size_t end = std::min(to, base + s.size());
            for (; i < end; ++i)
                fn(i, s[i - base]);
        }
    }

private:
    Record& at(size_t rest) { return m_segs[1 + (rest >> kShift)][rest & (kChunk - 1)]; }
    std::vector<std::vector<Record>> m_segs;
    size_t m_first = 0; // the capacity of segment 0
    size_t m_size = 0;
};

class RecordTable {
public:
    const Record* find(QStringView id) const;
    qsizetype size() const { return m_live; }
    void forEach(const std::function<void(const Record&)>& fn) const;
    // Visits the live records in slots [from, from + count): a scan that runs in slices
    // between event-loop turns. Returns where the next slice starts, -1 past the last slot.
    // Slots are stable, so a slice never skips a record that was there all along; a record
    // changed between slices is reported through takeChanges() as usual.
    qsizetype scan(qsizetype from, qsizetype count,
                   const std::function<void(const Record&)>& fn) const;
    qsizetype slotCount() const { return qsizetype(m_slots.size()); }
    void reserve(qsizetype n);

    // Mutations record what changed until takeChanges().
    void upsert(const Record& record);
    void upsert(Record&& record); // moved in, not copied
    void remove(QStringView id);
    // Merges a full state: records not in it are removed; equal ones are left alone.
    void mergeSnapshot(const std::vector<Record>& records);
    // The same, taking the records: an empty table adopts the vector itself.
    void mergeSnapshot(std::vector<Record>&& records);
    void clear();
    // Deduplicated ids changed since the last call (upserted = inserted or changed, still
    // present; removed = present before and absent now).
    // `records`, if given, receives the upserted records in the same order as the ids (valid
    // until the next mutation).
    void takeChanges(QStringList* upserted, QStringList* removed,
                     std::vector<const Record*>* records = nullptr);
    bool hasChanges() const { return !m_touched.empty() || !m_removedIds.isEmpty(); }
    // A removed record (or every record after clear()) stays readable at its address until
    // this is called, so whoever holds a pointer to it can still read it while the removal
    // is being told. Its slot is reused only by later mutations.
    void releaseRemoved();

private:
    static constexpr quint32 kEmpty = 0xffffffffu;
    static constexpr quint32 kTomb = 0xfffffffeu;
    enum Flag : quint8 { Touched = 1, NewInFlush = 2, Seen = 4 };

    quint32 findSlot(QStringView id, quint32 hash) const;
    quint32 findSlot(const Record& record, quint32 hash) const;
    // One probe: the slot holding record's id, or a new slot for it (*inserted = true).
    template <class R>
    quint32 findOrInsert(R&& record, quint32 hash, bool* inserted);
    template <class R>
    void upsertImpl(R&& record);
    template <class R>
    void mergeRecord(R&& record);
    void adoptSnapshot(std::vector<Record>&& records);
    void removeUnseen();
    void freeSlot(quint32 slot);
    void insertIndex(quint32 slot, quint32 hash);
    void eraseIndex(quint32 slot);
    void rehash(qsizetype minBuckets);
    void touch(quint32 slot, quint8 flags);

    RecordSlots m_slots;
    std::vector<quint32> m_hashes; // per slot
    std::vector<quint8> m_flags;   // per slot: Flag bits; 0x80 = alive
    std::vector<quint32> m_free;
    std::vector<quint32> m_freedThisFlush; // reused only after takeChanges()
    std::vector<quint32> m_unreleased;     // freed, their records not yet reset
    RecordSlots m_graveyard;               // what clear() took, until releaseRemoved()
    std::vector<quint32> m_buckets;        // slot index, kEmpty or kTomb
    qsizetype m_live = 0;
    qsizetype m_tombs = 0;
    std::vector<quint32> m_touched;
    QStringList m_removedIds;
};

// Hash of recordId(record) computed from its pieces; equal to idHash(recordId(record)).
quint32 idHash(QStringView id);
quint32 idHash(const Record& record);
bool idEquals(const Record& record, QStringView id);

} // namespace regscope
