#include "models/instances/InstanceTimelineModel.h"

#include "models/Store.h"

#include <QDateTime>
#include <QThread>

using namespace Qt::StringLiterals;

namespace regscope {

InstanceTimelineModel::InstanceTimelineModel(Store* store, QString category, qsizetype maxRows,
                                             QObject* parent)
    : QAbstractTableModel(parent)
    , m_category(std::move(category))
    , m_maxRows(std::max<qsizetype>(1, maxRows)) {
    append(QList<TimelineEvent>(store->timeline().begin(), store->timeline().end()));
    connect(store, &Store::timelineAppended, this, &InstanceTimelineModel::append);
    // A source switch: the old source's registers, cancels and evictions go with it, at once.
    connect(store, &Store::cleared, this, &InstanceTimelineModel::clear);
}

void InstanceTimelineModel::append(const QList<TimelineEvent>& events) {
    Q_ASSERT(QThread::currentThread() == thread());
    std::vector<const TimelineEvent*> mine;
    for (const auto& e : events)
        if (e.category == m_category)
            mine.push_back(&e);
    if (mine.empty())
        return;
    // Only the newest maxRows of this batch can survive.
    if (qsizetype(mine.size()) > m_maxRows)
        mine.erase(mine.begin(), mine.end() - m_maxRows);
    const int added = int(mine.size());
    const qsizetype overflow = qsizetype(m_rows.size()) + added - m_maxRows;
    if (overflow > 0) {
        const int last = int(m_rows.size()) - 1;
        beginRemoveRows({}, last - int(overflow) + 1, last);
        m_rows.erase(m_rows.end() - overflow, m_rows.end());
        endRemoveRows();
    }
    beginInsertRows({}, 0, added - 1);
    for (const auto* e : mine) // oldest of the batch first, each pushed to the top
        m_rows.push_front(*e);
    endInsertRows();
}

void InstanceTimelineModel::clear() {
    if (m_rows.empty())
        return;
    beginRemoveRows({}, 0, int(m_rows.size()) - 1);
    m_rows.clear();
    endRemoveRows();
}

int InstanceTimelineModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int InstanceTimelineModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant InstanceTimelineModel::headerData(int section, Qt::Orientation orientation,
                                           int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const QStringList titles{u"Time"_s, u"Instance"_s, u"Details"_s};
    return titles.value(section);
}

QVariant InstanceTimelineModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(m_rows.size()) || role != Qt::DisplayRole)
        return {};
    const auto& e = m_rows[size_t(index.row())];
    switch (index.column()) {
    case TimeColumn:
        return QDateTime::fromMSecsSinceEpoch(e.timestampMs).toString(u"hh:mm:ss.zzz"_s);
    case SubjectColumn:
        return e.subject;
    case TextColumn:
        return e.text;
    default:
        return {};
    }
}

} // namespace regscope
