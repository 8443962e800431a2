#include "models/MissesModel.h"

#include "models/ItemRoles.h"
#include "models/LookupRates.h"
#include "models/MetricNames.h"
#include "models/ModelRuns.h"
#include "models/Store.h"
#include "models/Suggest.h"

#include <QDateTime>
#include <QSet>
#include <QThread>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
// Past this many names a full suggestion scan per new miss costs too much on the GUI thread.
constexpr qsizetype kMaxSuggestionCandidates = 50000;
} // namespace

MissesModel::MissesModel(Store* store, qsizetype maxRows, QObject* parent)
    : QAbstractTableModel(parent)
    , m_store(store)
    , m_maxRows(maxRows) {
    connect(store, &Store::recordsChanged, this, [this](RecordKind kind) {
        if (kind == RecordKind::Entry)
            m_namesDirty = true;
    });
    for (const MetricsSample& s : store->metricsHistory())
        addSample(s);
    connect(store, &Store::metricsSampled, this, &MissesModel::addSample);
    // Another source: no miss of the last one stays, and no miss rate until lookups come.
    connect(store, &Store::cleared, this, [this] {
        beginResetModel();
        m_rows.clear();
        m_index.clear();
        m_namesDirty = true;
        m_previous = {};
        m_havePrevious = false;
        m_missRatio = 0;
        m_sawLookups = false;
        endResetModel();
        Q_EMIT missRatioChanged(0);
    });
}

int MissesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int MissesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MissesModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const QStringList titles{u"Missing name"_s, u"Misses"_s, u"Last interval"_s,
                                    u"Did you mean"_s, u"Last missed"_s};
    return titles.value(section);
}

QVariant MissesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row& r = m_rows[size_t(index.row())];
    if (role == SortRole) {
        switch (index.column()) {
        case MissesColumn:
            return r.misses;
        case LastIntervalColumn:
            return r.lastInterval;
        case LastSeenColumn:
            return r.lastSeenMs;
        }
        return data(index, Qt::DisplayRole);
    }
    if (role == Qt::TextAlignmentRole &&
        (index.column() == MissesColumn || index.column() == LastIntervalColumn))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == StateRole && index.column() == SuggestionColumn)
        return int(ItemState::Healthy);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case NameColumn:
        return r.name;
    case MissesColumn:
        return QString::number(r.misses, 'f', 0);
    case LastIntervalColumn:
        return QString::number(r.lastInterval, 'f', 0);
    case SuggestionColumn:
        return r.suggestion;
    case LastSeenColumn:
        return r.lastSeenMs ? QDateTime::fromMSecsSinceEpoch(r.lastSeenMs).toString(u"HH:mm:ss"_s)
                            : QString();
    }
    return {};
}

QString MissesModel::suggestionFor(const QString& name) const {
    const int row = rowOf(name);
    return row < 0 ? QString() : m_rows[size_t(row)].suggestion;
}

const QStringList& MissesModel::registeredNames() {
    if (!m_namesDirty)
        return m_names;
    QSet<QString> names;
    m_store->forEach(RecordKind::Entry, [&](const Record& r) {
        if (names.size() < kMaxSuggestionCandidates)
            names.insert(std::get<EntryRecord>(r).name);
    });
    m_names = QStringList(names.begin(), names.end());
    m_names.sort();
    m_nameSet.clear();
    for (const QString& n : std::as_const(m_names))
        m_nameSet.insert(n, true);
    m_namesDirty = false;
    return m_names;
}

QString MissesModel::suggest(const QString& name) {
    const QStringList& names = registeredNames();
    if (m_nameSet.contains(name))
        return name % u" (registered; no matching version)"_s;
    return suggestName(name, names);
}

void MissesModel::addSample(const MetricsSample& sample) {
    Q_ASSERT(QThread::currentThread() == thread());
    const bool namesChanged = m_namesDirty;
    if (m_havePrevious) {
        const LookupRates rates = deriveRates(&m_previous, sample);
        if (rates.hitsPerSecond + rates.missesPerSecond + rates.errorsPerSecond > 0 &&
            !m_sawLookups) {
            m_sawLookups = true;
            Q_EMIT missRatioChanged(m_missRatio); // the panel's "no lookups" note goes
        }
        if (rates.missRatio() != m_missRatio) {
            m_missRatio = rates.missRatio();
            Q_EMIT missRatioChanged(m_missRatio);
        }
    }
    m_previous = sample;
    m_havePrevious = true;

    QHash<QString, double> counts;
    metric::forEachLabelled(sample, metric::kMissesByName, metric::kName,
                            [&](const QString& n, double v) { counts.insert(n, v); });
    std::vector<int> changed;
    for (size_t i = 0; i < m_rows.size(); ++i) {
        Row& r = m_rows[i];
        const double misses = counts.value(r.name, r.misses);
        const double delta = counterDelta(r.misses, misses);
        bool rowChanged = misses != r.misses || delta != r.lastInterval;
        r.misses = misses;
        r.lastInterval = delta;
        if (delta > 0)
            r.lastSeenMs = sample.timestampMs;
        if (namesChanged) {
            QString s = suggest(r.name);
            if (s != r.suggestion) {
                r.suggestion = std::move(s);
                rowChanged = true;
            }
        }
        if (rowChanged)
            changed.push_back(int(i));
    }
    emitDataChangedRuns(this, {}, std::move(changed));

    std::vector<Row> added;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        if (m_index.contains(it.key()) || qsizetype(m_rows.size() + added.size()) >= m_maxRows)
            continue;
        Row r;
        r.name = it.key();
        r.misses = it.value();
        r.lastInterval = it.value();
        r.lastSeenMs = sample.timestampMs;
        r.suggestion = suggest(r.name);
        added.push_back(std::move(r));
    }
    if (!added.empty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        for (Row& r : added) {
            m_index.insert(r.name, int(m_rows.size()));
            m_rows.push_back(std::move(r));
        }
        endInsertRows();
    }
}

} // namespace regscope
