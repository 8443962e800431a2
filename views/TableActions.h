#pragma once
// What every table and tree in regscope offers: Ctrl+C copies the selected rows (tab
// separated, header first), a context menu copies the cell, the row as JSON or the cell's
// full value, Copy as / Save as CSV or JSON of the selection or all rows (Ctrl+S saves all rows
// as CSV; views/ExportUi), and the key/name column sizes to fit its contents instead of the last
// column taking the width.

#include <QJsonObject>
#include <QModelIndexList>
#include <QString>

class QAbstractItemView;
class QAbstractItemModel;
class QModelIndex;

namespace regscope {

void installTableActions(QAbstractItemView* view, int keyColumn = 0);

// The rows of these indexes (one per row, in view order) as text: a header line, then one
// tab-separated line per row.
QString rowsAsText(const QAbstractItemModel* model, const QModelIndexList& indexes);
// One row as a JSON object keyed by the column headers (display text).
QJsonObject rowAsJson(const QAbstractItemModel* model, const QModelIndex& index);

} // namespace regscope
