#pragma once
// Grouping of entry records by (registry, tenant, name) and the order of their versions, for
// EntriesModel's batched merges.

#include "models/SourceEvent.h"

#include <vector>

namespace regscope {

// Newest first (-1: a is newer): registry::Version order, pre-releases below their release;
// what is not semver sorts below, in text order.
int compareEntryVersions(QStringView a, QStringView b);

// Ordinal comparison that answers at once for shared string data (versions of one name
// usually share their tenant and name).
int entryKeyCompare(const QString& a, const QString& b);
// Registry, then tenant, then name.
bool entryGroupLess(const EntryRecord* a, const EntryRecord* b);
// Sorts by entryGroupLess, fast for big batches: only the distinct names are sorted, then the
// records placed by their group's rank. One pass when already sorted (snapshots usually are).
void sortByEntryGroup(std::vector<const EntryRecord*>& items);

} // namespace regscope
