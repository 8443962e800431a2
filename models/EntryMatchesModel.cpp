#include "models/EntryMatchesModel.h"

#include "models/EntriesModel.h"
#include "models/ItemRoles.h"
#include "models/Store.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

EntryMatchesModel::EntryMatchesModel(Store* store, QObject* parent)
    : EntryMatchesModel(store, Options{}, parent) {}

EntryMatchesModel::EntryMatchesModel(Store* store, Options options, QObject* parent)
    : QAbstractTableModel(parent)
    , m_store(store)
    , m_options(options) {
    m_slice.setSingleShot(true);
    m_slice.setInterval(0);
    connect(&m_slice, &QTimer::timeout, this, &EntryMatchesModel::scanSlice);
    connect(store, &Store::recordsChanged, this, &EntryMatchesModel::onRecordsChanged);
    connect(store, &Store::cleared, this, [this] { setFilterText(filterText()); });
}

bool EntryMatchesModel::matches(const EntryRecord& e, const QStringList& terms) {
    for (const QString& term : terms) {
        const bool found = e.name.contains(term, Qt::CaseInsensitive) ||
                           e.version.contains(term, Qt::CaseInsensitive) ||
                           e.type.contains(term, Qt::CaseInsensitive) ||
                           e.tenant.contains(term, Qt::CaseInsensitive) ||
                           e.registry.contains(term, Qt::CaseInsensitive) ||
                           e.origin.contains(term, Qt::CaseInsensitive);
        if (!found)
            return false;
    }
    return !terms.isEmpty();
}

void EntryMatchesModel::setFilterText(const QString& text) {
    const QStringList terms = text.split(u' ', Qt::SkipEmptyParts);
    // A list of at most maxRows, replaced as a whole: one reset per filter, not per event.
    beginResetModel();
    m_terms = terms;
    m_ids.clear();
    m_rowOf.clear();
    m_matchCount = 0;
    m_longestSliceMs = 0;
    m_handled.clear();
    endResetModel();
    m_scanFrom = terms.isEmpty() ? -1 : 0;
    m_scanLength = m_store->scanLength(RecordKind::Entry);
    if (scanning())
        scanSlice(); // the first slice at once: small filters finish before the next paint
    else
        m_slice.stop();
    Q_EMIT progressChanged();
}

void EntryMatchesModel::scanSlice() {
    if (!scanning())
        return;
    QElapsedTimer t;
    t.start();
    QStringList found;
    const qsizetype room = m_options.maxRows - qsizetype(m_ids.size());
    do { // at least one chunk a slice, so a scan always moves on
        m_scanFrom = m_store->scan(RecordKind::Entry, m_scanFrom, m_options.slotsPerCheck,
                                   [&](const Record& r) {
                                       const auto& e = std::get<EntryRecord>(r);
                                       if (!matches(e, m_terms))
                                           return;
                                       // Past the listed rows, with no change to
                                       // skip, a match is only counted: no id made.
                                       if (found.size() >= room && m_handled.isEmpty()) {
                                           ++m_matchCount;
                                           return;
                                       }
                                       QString id = recordId(e);
                                       if (m_handled.contains(id))
                                           return; // counted when its change arrived
                                       ++m_matchCount;
                                       if (found.size() < room)
                                           found.append(std::move(id));
                                   });
    } while (m_scanFrom >= 0 && t.elapsed() < m_options.sliceMs);
    appendRows(found);
    m_longestSliceMs = std::max(m_longestSliceMs, double(t.nsecsElapsed()) / 1e6);
    if (scanning())
        m_slice.start();
    else
        m_handled.clear();
    Q_EMIT progressChanged();
}

void EntryMatchesModel::appendRows(const QStringList& ids) {
    QStringList fresh;
    for (const QString& id : ids)
        if (!m_rowOf.contains(id)) // a record the scan meets again after a change
            fresh.append(id);
    if (fresh.isEmpty())
        return;
    const int first = int(m_ids.size());
    beginInsertRows({}, first, first + int(fresh.size()) - 1);
    for (const QString& id : fresh) {
        m_rowOf.insert(id, int(m_ids.size()));
        m_ids.push_back(id);
    }
    endInsertRows();
}

void EntryMatchesModel::removeRows(std::vector<int> rows) {
    if (rows.empty())
        return;
    std::sort(rows.begin(), rows.end());
    // Highest run first, so the rows below keep their numbers until their turn.
    for (auto end = rows.end(); end != rows.begin();) {
        auto begin = end - 1;
        while (begin != rows.begin() && *(begin - 1) == *begin - 1)
            --begin;
        beginRemoveRows({}, *begin, *(end - 1));
        m_ids.erase(m_ids.begin() + *begin, m_ids.begin() + *(end - 1) + 1);
        endRemoveRows();
        end = begin;
    }
    m_rowOf.clear();
    for (int i = 0; i < int(m_ids.size()); ++i)
        m_rowOf.insert(m_ids[size_t(i)], i);
}

void EntryMatchesModel::onRecordsChanged(RecordKind kind, const QStringList& upserted,
                                         const QStringList& removed) {
    if (kind != RecordKind::Entry || m_terms.isEmpty())
        return;
    // A change that arrives during a scan is handled here, whichever side of the scan its
    // slot is on, and the scan skips it when it meets it (m_handled): nothing counted twice,
    // nothing missed. Exact, except a match past maxRows that the scan counted and that
    // changes later (the count of a truncated list is a lower bound).
    std::vector<int> gone;
    for (const QString& id : removed) {
        if (const auto it = m_rowOf.constFind(id); it != m_rowOf.cend()) {
            gone.push_back(*it);
            --m_matchCount;
        } else if (m_handled.remove(id)) {
            --m_matchCount;
        }
    }
    QStringList added;
    const std::vector<const Record*>& records = m_store->changedRecords(kind);
    for (qsizetype i = 0; i < upserted.size(); ++i) {
        const QString& id = upserted[i];
        const Record* r = size_t(i) < records.size() ? records[size_t(i)] : m_store->find(kind, id);
        const bool match = r && matches(std::get<EntryRecord>(*r), m_terms);
        const auto it = m_rowOf.constFind(id);
        if (it != m_rowOf.cend() && !match) {
            gone.push_back(*it);
            --m_matchCount;
            m_handled.remove(id);
        } else if (it != m_rowOf.cend()) {
            const QModelIndex row = index(*it, 0);
            Q_EMIT dataChanged(row, row.siblingAtColumn(ColumnCount - 1));
        } else if (match && !m_handled.contains(id)) {
            ++m_matchCount;
            if (scanning())
                m_handled.insert(id);
            if (qsizetype(m_ids.size()) + added.size() < m_options.maxRows)
                added.append(id);
        } else if (!match && m_handled.remove(id)) {
            --m_matchCount;
        }
    }
    removeRows(std::move(gone));
    appendRows(added);
    Q_EMIT progressChanged();
}

double EntryMatchesModel::scannedFraction() const {
    if (!scanning() || m_scanLength <= 0)
        return 1.0;
    return std::min(1.0, double(m_scanFrom) / double(m_scanLength));
}

int EntryMatchesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_ids.size());
}

int EntryMatchesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

const EntryRecord* EntryMatchesModel::recordAt(int row) const {
    if (row < 0 || row >= int(m_ids.size()))
        return nullptr;
    const Record* r = m_store->find(RecordKind::Entry, m_ids[size_t(row)]);
    return r ? &std::get<EntryRecord>(*r) : nullptr;
}

QVariant EntryMatchesModel::data(const QModelIndex& index, int role) const {
    const EntryRecord* e = index.isValid() ? recordAt(index.row()) : nullptr;
    if (!e)
        return {};
    if (role == RecordIdRole)
        return m_ids[size_t(index.row())];
    if (role == StateRole || role == RowStateRole)
        return int(e->deprecated || !e->aliasOf.isEmpty() ? ItemState::Deprecated
                                                          : ItemState::Normal);
    if (role == Qt::ToolTipRole && index.column() == OriginColumn)
        return e->origin;
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case NameColumn:
        return e->registry.isEmpty() ? e->name : e->registry % u" · "_s % e->name;
    case VersionColumn:
        return e->aliasOf.isEmpty() ? e->version : u"→ "_s % e->aliasOf;
    case TenantColumn:
        return e->tenant.isEmpty() ? u"(global)"_s : e->tenant;
    case TypeColumn:
        return e->type;
    case StateColumn:
        return e->deprecated ? u"deprecated"_s : !e->aliasOf.isEmpty() ? u"alias"_s : u"active"_s;
    case OriginColumn:
        return EntriesModel::originText(e->origin);
    }
    return {};
}

QVariant EntryMatchesModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const names[] = {"Name", "Version", "Tenant", "Type", "State", "Origin"};
    return section >= 0 && section < ColumnCount ? QString::fromLatin1(names[section]) : QVariant();
}

} // namespace regscope
