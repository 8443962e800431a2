#pragma once
// Change signalling in runs: one dataChanged per run of adjacent rows (GammaRay's timertop).

#include <QAbstractItemModel>

#include <vector>

namespace regscope {

// Emits model->dataChanged once per run of consecutive rows (any order, duplicates allowed)
// spanning every column of `parent`.
void emitDataChangedRuns(QAbstractItemModel* model, const QModelIndex& parent,
                         std::vector<int> rows);

} // namespace regscope
