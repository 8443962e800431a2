#pragma once
// The event timeline (registrations, deregistrations, rejected registrations, reloads, health
// changes), oldest first, bounded: past the bound the oldest rows go in one removal.

#include "models/SourceEvent.h"

#include <QAbstractTableModel>

#include <deque>

namespace regscope {

class Store;

class TimelineModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TimeColumn, CategoryColumn, SubjectColumn, TextColumn, ColumnCount };
    static constexpr int CategoryRole = Qt::UserRole + 1;

    explicit TimelineModel(Store* store, qsizetype maxRows = 5000, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void append(const QList<TimelineEvent>& events);
    qsizetype maxRows() const { return m_maxRows; }

private:
    std::deque<TimelineEvent> m_rows;
    qsizetype m_maxRows;
};

} // namespace regscope
