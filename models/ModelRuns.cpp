#include "models/ModelRuns.h"

#include <algorithm>

namespace regscope {

void emitDataChangedRuns(QAbstractItemModel* model, const QModelIndex& parent,
                         std::vector<int> rows) {
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    const int lastColumn = model->columnCount(parent) - 1;
    size_t i = 0;
    while (i < rows.size()) {
        size_t j = i;
        while (j + 1 < rows.size() && rows[j + 1] == rows[j] + 1)
            ++j;
        Q_EMIT model->dataChanged(model->index(rows[i], 0, parent),
                                  model->index(rows[j], lastColumn, parent));
        i = j + 1;
    }
}

} // namespace regscope
