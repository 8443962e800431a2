#include "models/EntryGroups.h"

#include "models/registry/SemVer.h"

#include <QHash>

#include <algorithm>
#include <array>
#include <optional>

namespace regscope {

namespace {

std::optional<registry::Version> parseVersion(QStringView v) {
    std::array<char, 96> buffer{};
    if (v.size() > qsizetype(buffer.size()))
        return std::nullopt;
    for (qsizetype i = 0; i < v.size(); ++i) {
        if (v[i].unicode() > 0x7f)
            return std::nullopt;
        buffer[size_t(i)] = char(v[i].unicode());
    }
    auto parsed = registry::Version::Parse(std::string_view(buffer.data(), size_t(v.size())));
    return parsed ? std::optional(std::move(*parsed)) : std::nullopt;
}

// [0-9A-Za-z-]+ separated by dots, as registry::Version::Parse accepts them.
bool validIdentifiers(QStringView s, bool numericNoLeadingZero) {
    qsizetype start = 0;
    while (true) {
        qsizetype end = s.indexOf(u'.', start);
        if (end < 0)
            end = s.size();
        if (end == start)
            return false;
        bool digits = true;
        for (qsizetype i = start; i < end; ++i) {
            const char16_t c = s[i].unicode();
            const bool digit = c >= u'0' && c <= u'9';
            digits = digits && digit;
            if (!(digit || (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'-'))
                return false;
        }
        if (numericNoLeadingZero && digits && end - start > 1 && s[start] == u'0')
            return false;
        if (end == s.size())
            return true;
        start = end + 1;
    }
}

// A number of at most 18 digits without a leading zero (so it cannot overflow).
std::optional<quint64> plainNumber(QStringView s) {
    if (s.isEmpty() || s.size() > 18 || (s.size() > 1 && s[0] == u'0'))
        return std::nullopt;
    quint64 v = 0;
    for (const QChar c : s) {
        if (c < u'0' || c > u'9')
            return std::nullopt;
        v = v * 10 + quint64(c.unicode() - u'0');
    }
    return v;
}

// major.minor.patch of a version that registry::Version::Parse surely accepts, without
// building one: nullopt when in doubt (the full parse decides then).
std::optional<std::array<quint64, 3>> semverCore(QStringView s) {
    if (s.size() > 96) // what parseVersion() gives up on
        return std::nullopt;
    if (const qsizetype plus = s.indexOf(u'+'); plus >= 0) {
        if (!validIdentifiers(s.sliced(plus + 1), false))
            return std::nullopt;
        s = s.first(plus);
    }
    if (const qsizetype dash = s.indexOf(u'-'); dash >= 0) {
        if (!validIdentifiers(s.sliced(dash + 1), true))
            return std::nullopt;
        s = s.first(dash);
    }
    const qsizetype d1 = s.indexOf(u'.');
    const qsizetype d2 = d1 < 0 ? -1 : s.indexOf(u'.', d1 + 1);
    if (d2 < 0)
        return std::nullopt;
    const auto ma = plainNumber(s.first(d1));
    const auto mi = plainNumber(s.sliced(d1 + 1, d2 - d1 - 1));
    const auto pa = plainNumber(s.sliced(d2 + 1));
    if (!ma || !mi || !pa)
        return std::nullopt;
    return std::array<quint64, 3>{*ma, *mi, *pa};
}

} // namespace

int compareEntryVersions(QStringView a, QStringView b) {
    if (a == b)
        return 0;
    // Most pairs differ in major.minor.patch, which decides before any pre-release does.
    if (const auto ca = semverCore(a)) {
        if (const auto cb = semverCore(b); cb && *ca != *cb)
            return *ca < *cb ? 1 : -1;
    }
    const auto va = parseVersion(a);
    const auto vb = parseVersion(b);
    if (va && vb) {
        const auto c = *va <=> *vb;
        if (c != std::strong_ordering::equal)
            return c < 0 ? 1 : -1;
        return a.compare(b); // build metadata only: keep a stable order
    }
    if (va || vb)
        return va ? -1 : 1;
    return a.compare(b);
}

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
