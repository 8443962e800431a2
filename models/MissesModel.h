#pragma once
// The most-missed names with their counts and a "did you mean" from the registered names,
// plus the overall miss ratio over the last interval for the alert line.

#include "models/SourceEvent.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QStringList>

#include <vector>

namespace regscope {

class Store;

class MissesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        MissesColumn,
        LastIntervalColumn,
        SuggestionColumn,
        LastSeenColumn,
        ColumnCount
    };
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit MissesModel(Store* store, qsizetype maxRows = 1000, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void addSample(const MetricsSample& sample);
    int rowOf(const QString& name) const { return m_index.value(name, -1); }
    QString suggestionFor(const QString& name) const;

    // Misses / all lookups over the last interval (0..1), and the alert threshold.
    double missRatio() const { return m_missRatio; }
    double alertThreshold() const { return m_alertThreshold; }
    void setAlertThreshold(double ratio) { m_alertThreshold = ratio; }
    bool alerting() const { return m_missRatio > m_alertThreshold; }
    // Whether any lookup was counted yet (a source without lookups has no miss rate).
    bool hasLookups() const { return m_sawLookups; }

Q_SIGNALS:
    void missRatioChanged(double ratio);

private:
    struct Row {
        QString name;
        double misses = 0;
        double lastInterval = 0;
        QString suggestion;
        qint64 lastSeenMs = 0;
    };
    const QStringList& registeredNames();
    QString suggest(const QString& name);

    Store* m_store;
    std::vector<Row> m_rows;
    QHash<QString, int> m_index;
    qsizetype m_maxRows;
    QStringList m_names; // unique registered names, rebuilt when entries change
    QHash<QString, bool> m_nameSet;
    bool m_namesDirty = true;
    MetricsSample m_previous;
    bool m_havePrevious = false;
    double m_missRatio = 0;
    bool m_sawLookups = false;
    double m_alertThreshold = 0.2;
};

} // namespace regscope
