#include "models/AllSourcesModel.h"

#include "models/ItemRoles.h"
#include "models/SourcesModel.h"
#include "models/Store.h"

#include <QElapsedTimer>

#include <algorithm>
#include <array>
#include <utility>

using namespace Qt::StringLiterals;

namespace regscope {

AllSourcesModel::AllSourcesModel(RecordKind kind, SourcesModel* sources, QObject* parent)
    : AllSourcesModel(kind, sources, Options{}, parent) {}

AllSourcesModel::AllSourcesModel(RecordKind kind, SourcesModel* sources, Options options,
                                 QObject* parent)
    : QAbstractTableModel(parent)
    , m_kind(kind)
    , m_sourcesModel(sources)
    , m_options(options) {
    m_slice.setSingleShot(true);
    m_slice.setInterval(0);
    connect(&m_slice, &QTimer::timeout, this, &AllSourcesModel::scanSlice);
    // A source added, removed, renamed or swapped into the panels: rebuilt once, on the next
    // turn (a swap is a removal and an insertion in one call).
    m_rebuild.setSingleShot(true);
    m_rebuild.setInterval(0);
    connect(&m_rebuild, &QTimer::timeout, this, &AllSourcesModel::rebuild);
    const auto later = [this] {
        if (m_active)
            m_rebuild.start();
    };
    connect(sources, &QAbstractItemModel::rowsInserted, this, later);
    connect(sources, &QAbstractItemModel::rowsRemoved, this, later);
    connect(sources, &QAbstractItemModel::dataChanged, this,
            [this, later](const QModelIndex& from, const QModelIndex& to) {
                for (int row = from.row(); row <= to.row(); ++row)
                    if (row >= int(m_sources.size()) ||
                        m_sourcesModel->urlAt(row) != m_sources[size_t(row)].url ||
                        m_sourcesModel->storeAt(row) != m_sources[size_t(row)].store)
                        return later();
            });
}

AllSourcesModel::~AllSourcesModel() {
    for (Source& s : m_sources)
        for (const auto& c : s.connections)
            disconnect(c);
}

void AllSourcesModel::setActive(bool active) {
    if (m_active == active)
        return;
    m_active = active;
    m_rebuild.stop();
    rebuild();
}

void AllSourcesModel::setFilterText(const QString& text) {
    const QStringList terms = text.split(u' ', Qt::SkipEmptyParts);
    if (terms == m_terms)
        return;
    m_terms = terms;
    if (m_active)
        restartScan();
}

// The sources as the SourcesModel has them now: the rows go (one reset: the set changed, not a
// record), every Store is followed again and scanned from the start.
void AllSourcesModel::rebuild() {
    beginResetModel();
    for (Source& s : m_sources)
        for (const auto& c : s.connections)
            disconnect(c);
    m_sources.clear();
    m_rows.clear();
    m_matchCount = 0;
    m_scanSource = -1;
    endResetModel();
    if (m_active && m_sourcesModel) {
        for (int row = 0; row < m_sourcesModel->rowCount(); ++row) {
            Source s;
            s.store = m_sourcesModel->storeAt(row);
            s.url = m_sourcesModel->urlAt(row);
            m_sources.push_back(std::move(s));
        }
        for (int i = 0; i < int(m_sources.size()); ++i) {
            const Store* store = m_sources[size_t(i)].store;
            if (!store)
                continue;
            auto& c = m_sources[size_t(i)].connections;
            c.append(
                connect(store, &Store::recordsChanged, this,
                        [this, i](RecordKind kind, const QStringList& up, const QStringList& rem) {
                            onRecordsChanged(i, kind, up, rem);
                        }));
            c.append(connect(store, &Store::probesChanged, this,
                             [this, i](const QStringList& ids) { onProbesChanged(i, ids); }));
            c.append(connect(store, &Store::cleared, this, [this] { m_rebuild.start(); }));
        }
    }
    restartScan();
}

void AllSourcesModel::restartScan() {
    if (!m_rows.empty()) {
        beginRemoveRows({}, 0, int(m_rows.size()) - 1);
        m_rows.clear();
        endRemoveRows();
    }
    for (Source& s : m_sources) {
        s.rowOf.clear();
        s.handled.clear();
    }
    m_matchCount = 0;
    m_longestSliceMs = 0;
    m_scanSource = m_active && !m_sources.empty() ? 0 : -1;
    m_scanFrom = 0;
    if (scanning())
        scanSlice(); // the first slice at once: small sources are listed before the next paint
    else
        m_slice.stop();
    Q_EMIT progressChanged();
}

namespace {
bool isPlainAscii(const QString& term) {
    for (const QChar ch : term)
        if (ch.unicode() >= 0x80 || ch == u'\\')
            return false;
    return true;
}
} // namespace

bool AllSourcesModel::matches(const Record& record, const Source& source) const {
    if (m_terms.isEmpty())
        return true;
    // Each cell's text is made at most once per record, and only when a term needs it.
    constexpr int kMaxColumns = 16;
    const int columns = std::min(kMaxColumns, int(headers(m_kind).size()));
    std::array<QString, kMaxColumns> text;
    std::array<bool, kMaxColumns> made{};
    const auto* key = m_kind == RecordKind::Key ? std::get_if<KeyRecord>(&record) : nullptr;
    for (const QString& term : m_terms) {
        bool found = source.url.contains(term, Qt::CaseInsensitive);
        // A key's bytes are searched as they are when the term is plain ASCII: the same
        // answer as its escaped text (an ASCII letter folds only to ASCII), without making it.
        const bool raw = key && !found && isPlainAscii(term);
        if (raw)
            found = QLatin1StringView(key->key).contains(term, Qt::CaseInsensitive) ||
                    QLatin1StringView(key->value).contains(term, Qt::CaseInsensitive);
        for (int c = raw ? 2 : 0; c < columns && !found; ++c) {
            if (!std::exchange(made[size_t(c)], true))
                text[size_t(c)] =
                    cell(m_kind, record, *source.store, c, Qt::DisplayRole).toString();
            found = text[size_t(c)].contains(term, Qt::CaseInsensitive);
        }
        if (!found)
            return false;
    }
    return true;
}

void AllSourcesModel::scanSlice() {
    if (!scanning())
        return;
    QElapsedTimer t;
    t.start();
    do { // at least one chunk a slice, so a scan always moves on
        Source& s = m_sources[size_t(m_scanSource)];
        QStringList found;
        const qsizetype room = m_options.maxRows - qsizetype(m_rows.size());
        if (s.store) {
            m_scanFrom =
                s.store->scan(m_kind, m_scanFrom, m_options.slotsPerCheck, [&](const Record& r) {
                    if (!matches(r, s))
                        return;
                    // Past the listed rows, with no change to skip, a
                    // match is only counted: no id made.
                    if (found.size() >= room && s.handled.isEmpty()) {
                        ++m_matchCount;
                        return;
                    }
                    QString id = recordId(r);
                    if (s.handled.contains(id))
                        return; // counted when its change arrived
                    ++m_matchCount;
                    if (found.size() < room)
                        found.append(std::move(id));
                });
        } else {
            m_scanFrom = -1;
        }
        appendRows(m_scanSource, found);
        if (m_scanFrom < 0) { // this source is done: the next one from its start
            s.handled.clear();
            m_scanFrom = 0;
            if (++m_scanSource >= int(m_sources.size()))
                m_scanSource = -1;
        }
    } while (scanning() && t.elapsed() < m_options.sliceMs);
    m_longestSliceMs = std::max(m_longestSliceMs, double(t.nsecsElapsed()) / 1e6);
    if (scanning())
        m_slice.start();
    Q_EMIT progressChanged();
}

void AllSourcesModel::appendRows(int source, const QStringList& ids) {
    Source& s = m_sources[size_t(source)];
    QStringList fresh;
    for (const QString& id : ids)
        if (!s.rowOf.contains(id)) // a record the scan meets again after a change
            fresh.append(id);
    if (fresh.isEmpty())
        return;
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(fresh.size()) - 1);
    for (const QString& id : fresh) {
        s.rowOf.insert(id, int(m_rows.size()));
        m_rows.push_back(Row{source, id});
    }
    endInsertRows();
}

void AllSourcesModel::removeRows(std::vector<int> rows) {
    if (rows.empty())
        return;
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    // Highest run first, so the rows below keep their numbers until their turn.
    for (auto end = rows.end(); end != rows.begin();) {
        auto begin = end - 1;
        while (begin != rows.begin() && *(begin - 1) == *begin - 1)
            --begin;
        beginRemoveRows({}, *begin, *(end - 1));
        m_rows.erase(m_rows.begin() + *begin, m_rows.begin() + *(end - 1) + 1);
        endRemoveRows();
        end = begin;
    }
    reindex();
}

void AllSourcesModel::reindex() {
    for (Source& s : m_sources)
        s.rowOf.clear();
    for (int i = 0; i < int(m_rows.size()); ++i)
        m_sources[size_t(m_rows[size_t(i)].source)].rowOf.insert(m_rows[size_t(i)].id, i);
}

void AllSourcesModel::onRecordsChanged(int source, RecordKind kind, const QStringList& upserted,
                                       const QStringList& removed) {
    if (kind != m_kind || !m_active || source >= int(m_sources.size()))
        return;
    Source& s = m_sources[size_t(source)];
    if (!s.store)
        return;
    // As in EntryMatchesModel: a change during the scan is applied here, whichever side of the
    // scan its slot is on, and the scan skips it (handled): nothing counted twice or missed.
    const bool duringScan = scanning() && m_scanSource <= source;
    std::vector<int> gone;
    for (const QString& id : removed) {
        if (const auto it = s.rowOf.constFind(id); it != s.rowOf.cend()) {
            gone.push_back(*it);
            --m_matchCount;
        } else if (s.handled.remove(id)) {
            --m_matchCount;
        }
    }
    QStringList added;
    std::vector<int> changed;
    const std::vector<const Record*>& records = s.store->changedRecords(kind);
    for (qsizetype i = 0; i < upserted.size(); ++i) {
        const QString& id = upserted[i];
        const Record* r = size_t(i) < records.size() ? records[size_t(i)] : s.store->find(kind, id);
        const bool match = r && matches(*r, s);
        const auto it = s.rowOf.constFind(id);
        if (it != s.rowOf.cend() && !match) {
            gone.push_back(*it);
            --m_matchCount;
            s.handled.remove(id);
        } else if (it != s.rowOf.cend()) {
            changed.push_back(*it);
        } else if (match && !s.handled.contains(id)) {
            ++m_matchCount;
            if (duringScan)
                s.handled.insert(id);
            if (qsizetype(m_rows.size()) + added.size() < m_options.maxRows)
                added.append(id);
        } else if (!match && s.handled.remove(id)) {
            --m_matchCount;
        }
    }
    emitChanged(std::move(changed));
    removeRows(std::move(gone));
    appendRows(source, added);
    Q_EMIT progressChanged();
}

void AllSourcesModel::onProbesChanged(int source, const QStringList& ids) {
    if (m_kind != RecordKind::Instance || !m_active || source >= int(m_sources.size()))
        return;
    const Source& s = m_sources[size_t(source)];
    std::vector<int> changed;
    for (const QString& id : ids)
        if (const auto it = s.rowOf.constFind(id); it != s.rowOf.cend())
            changed.push_back(*it);
    emitChanged(std::move(changed));
}

// One dataChanged per run of changed rows; past a few runs, one for the span (a sort proxy
// looks at every row of a range, so many small ranges beat one huge one only while few).
void AllSourcesModel::emitChanged(std::vector<int> rows) {
    if (rows.empty())
        return;
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    const int last = columnCount() - 1;
    std::vector<std::pair<int, int>> runs;
    for (const int row : rows) {
        if (!runs.empty() && runs.back().second == row - 1)
            runs.back().second = row;
        else
            runs.emplace_back(row, row);
    }
    if (runs.size() > 32)
        runs = {{rows.front(), rows.back()}};
    for (const auto& [from, to] : runs)
        Q_EMIT dataChanged(index(from, 0), index(to, last));
}

const Record* AllSourcesModel::recordAt(int row) const {
    if (row < 0 || row >= int(m_rows.size()))
        return nullptr;
    const Row& r = m_rows[size_t(row)];
    const Store* store = m_sources[size_t(r.source)].store;
    return store ? store->find(m_kind, r.id) : nullptr;
}

int AllSourcesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int AllSourcesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(headers(m_kind).size()) + 1;
}

QVariant AllSourcesModel::data(const QModelIndex& index, int role) const {
    const Record* record = index.isValid() ? recordAt(index.row()) : nullptr;
    if (!record)
        return {};
    const Row& row = m_rows[size_t(index.row())];
    const Source& source = m_sources[size_t(row.source)];
    if (role == RecordIdRole)
        return row.id;
    if (role == SourceUrlRole)
        return source.url;
    if (index.column() == SourceColumn) {
        if (role == Qt::DisplayRole || role == Qt::ToolTipRole || role == SortRole)
            return source.url;
        if (role == EmphasisRole)
            return m_sourcesModel && m_sourcesModel->inPanels(row.source);
        return role == RowStateRole ? cell(m_kind, *record, *source.store, 0, role) : QVariant();
    }
    return cell(m_kind, *record, *source.store, index.column() - 1, role);
}

QVariant AllSourcesModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    if (section == SourceColumn)
        return u"Source"_s;
    return headers(m_kind).value(section - 1);
}

} // namespace regscope
