#include "models/EntryGroups.h"

#include <QHash>

#include <algorithm>

namespace regscope {

// Same string data (versions of one name usually share it) compares equal at once.
int entryKeyCompare(const QString& a, const QString& b) {
    return a.constData() == b.constData() && a.size() == b.size() ? 0 : QStringView(a).compare(b);
}

bool entryGroupLess(const EntryRecord* a, const EntryRecord* b) {
    if (const int c = entryKeyCompare(a->registry, b->registry))
        return c < 0;
    if (const int c = entryKeyCompare(a->tenant, b->tenant))
        return c < 0;
    return entryKeyCompare(a->name, b->name) < 0;
}

// Groups records by (registry, tenant, name) in that order: sorts the distinct names only (a
// third of the records when names have three versions), then places the records by their
// group's rank. Snapshots usually come sorted already; that costs one pass.
void sortByEntryGroup(std::vector<const EntryRecord*>& items) {
    if (std::is_sorted(items.begin(), items.end(), entryGroupLess))
        return;
    std::vector<quint32> group(items.size());
    std::vector<const EntryRecord*> firstOf;
    QHash<QString, QHash<QString, quint32>> index; // registry + '\n' + tenant → name → group
    QHash<QString, quint32>* layer = nullptr;
    const EntryRecord* last = nullptr;
    for (size_t i = 0; i < items.size(); ++i) {
        const EntryRecord* e = items[i];
        if (!last || entryKeyCompare(last->tenant, e->tenant) ||
            entryKeyCompare(last->registry, e->registry))
            layer = &index[e->registry % u'\n' % e->tenant];
        last = e;
        const auto it = layer->constFind(e->name);
        if (it != layer->cend()) {
            group[i] = it.value();
        } else {
            group[i] = quint32(firstOf.size());
            layer->insert(e->name, group[i]);
            firstOf.push_back(e);
        }
    }
    std::vector<quint32> order(firstOf.size());
    for (quint32 g = 0; g < order.size(); ++g)
        order[g] = g;
    std::sort(order.begin(), order.end(),
              [&](quint32 a, quint32 b) { return entryGroupLess(firstOf[a], firstOf[b]); });
    std::vector<quint32> start(order.size() + 1, 0);
    std::vector<quint32> rank(order.size());
    for (quint32 k = 0; k < order.size(); ++k)
        rank[order[k]] = k;
    for (const quint32 g : group)
        ++start[rank[g] + 1];
    for (size_t k = 1; k < start.size(); ++k)
        start[k] += start[k - 1];
    std::vector<const EntryRecord*> placed(items.size());
    for (size_t i = 0; i < items.size(); ++i)
        placed[start[rank[group[i]]]++] = items[i];
    items.swap(placed);
}

} // namespace regscope
