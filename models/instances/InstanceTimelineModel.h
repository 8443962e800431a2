#pragma once
// One category of the instances timeline (register, cancel or evict), newest first,
// bounded (1,000 by default, like Eureka's last-N page): past it the oldest rows go in one
// removal.

#include "models/SourceEvent.h"

#include <QAbstractTableModel>

#include <deque>

namespace regscope {

class Store;

class InstanceTimelineModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TimeColumn, SubjectColumn, TextColumn, ColumnCount };

    InstanceTimelineModel(Store* store, QString category, qsizetype maxRows = 1000,
                          QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void append(const QList<TimelineEvent>& events);
    // Forgets every row (a new source was attached).
    void clear();
    const QString& category() const { return m_category; }

private:
    QString m_category;
    qsizetype m_maxRows;
    std::deque<TimelineEvent> m_rows; // newest first
};

} // namespace regscope
