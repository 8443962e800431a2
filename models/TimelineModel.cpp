#include "models/TimelineModel.h"

#include "models/ItemRoles.h"
#include "models/Store.h"

#include <QDateTime>
#include <QThread>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
// What a timeline line means: losses and failures read as such (an eviction is not green).
ItemState stateOf(const TimelineEvent& e) {
    const QString& c = e.category;
    if (c == u"health") {
        if (e.subject == u"live")
            return ItemState::Healthy;
        return e.subject == u"degraded" || e.subject == u"connecting" ? ItemState::Warning
                                                                      : ItemState::Down;
    }
    if (c == u"rejected" || c.contains(u"evict") || c == u"crash" || c == u"alert" ||
        c.contains(u"expire") || c == u"stale")
        return ItemState::Down;
    if (c == u"deregister" || c.contains(u"cancel") || c == u"protection" || c == u"restart")
        return ItemState::Warning;
    if (c == u"reload" || c == u"resync" || c == u"action")
        return ItemState::Info;
    if (c == u"register" || c.contains(u"register") || c == u"plugin")
        return ItemState::Healthy;
    return ItemState::Normal;
}
} // namespace

TimelineModel::TimelineModel(Store* store, qsizetype maxRows, QObject* parent)
    : QAbstractTableModel(parent)
    , m_maxRows(std::max<qsizetype>(maxRows, 1)) {
    append(QList<TimelineEvent>(store->timeline().begin(), store->timeline().end()));
    connect(store, &Store::timelineAppended, this, &TimelineModel::append);
}

int TimelineModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TimelineModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TimelineModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const QStringList titles{u"Time"_s, u"Event"_s, u"Subject"_s, u"Details"_s};
    return titles.value(section);
}

QVariant TimelineModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const TimelineEvent& e = m_rows[size_t(index.row())];
    if (role == CategoryRole)
        return e.category;
    if (role == StateRole && index.column() == CategoryColumn)
        return int(stateOf(e));
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case TimeColumn:
        return QDateTime::fromMSecsSinceEpoch(e.timestampMs).toString(u"HH:mm:ss.zzz"_s);
    case CategoryColumn:
        return e.category;
    case SubjectColumn:
        return e.subject;
    case TextColumn:
        return e.text;
    }
    return {};
}

void TimelineModel::append(const QList<TimelineEvent>& events) {
    Q_ASSERT(QThread::currentThread() == thread());
    if (events.isEmpty())
        return;
    // Only the newest m_maxRows of this batch can survive.
    const qsizetype take = std::min<qsizetype>(events.size(), m_maxRows);
    const qsizetype overflow = qsizetype(m_rows.size()) + take - m_maxRows;
    if (overflow > 0) {
        beginRemoveRows({}, 0, int(overflow) - 1);
        m_rows.erase(m_rows.begin(), m_rows.begin() + overflow);
        endRemoveRows();
    }
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(take) - 1);
    m_rows.insert(m_rows.end(), events.end() - take, events.end());
    endInsertRows();
}

} // namespace regscope
