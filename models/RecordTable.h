#pragma once
// One kind's records, keyed by recordId() without storing the id: the id is hashed and
// compared piece by piece from the record's fields, so a million entries cost their slot,
// 8 bytes of index and nothing else. Tracks what one flush changed for Store's signals.

#include "models/SourceEvent.h"

#include <QStringList>

#include <functional>
#include <vector>

namespace regscope {

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
    void remove(QStringView id);
    // Merges a full state: records not in it are removed; equal ones are left alone.
    void mergeSnapshot(const std::vector<Record>& records);
    void clear();
    // Deduplicated ids changed since the last call (upserted = inserted or changed, still
    // present; removed = present before and absent now).
    // `records`, if given, receives the upserted records in the same order as the ids (valid
    // until the next mutation).
    void takeChanges(QStringList* upserted, QStringList* removed,
                     std::vector<const Record*>* records = nullptr);
    bool hasChanges() const { return !m_touched.empty() || !m_removedIds.isEmpty(); }

private:
    static constexpr quint32 kEmpty = 0xffffffffu;
    static constexpr quint32 kTomb = 0xfffffffeu;
    enum Flag : quint8 { Touched = 1, NewInFlush = 2, Seen = 4 };

    quint32 findSlot(QStringView id, quint32 hash) const;
    quint32 findSlot(const Record& record, quint32 hash) const;
    // One probe: the slot holding record's id, or a new slot for it (*inserted = true).
    quint32 findOrInsert(const Record& record, quint32 hash, bool* inserted);
    void freeSlot(quint32 slot);
    void insertIndex(quint32 slot, quint32 hash);
    void eraseIndex(quint32 slot);
    void rehash(qsizetype minBuckets);
    void touch(quint32 slot, quint8 flags);

    std::vector<Record> m_slots;
    std::vector<quint32> m_hashes; // per slot
    std::vector<quint8> m_flags;   // per slot: Flag bits; 0x80 = alive
    std::vector<quint32> m_free;
    std::vector<quint32> m_freedThisFlush; // reused only after takeChanges()
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
