#pragma once
// Change signalling in runs: one dataChanged per run of adjacent rows (GammaRay's timertop).

#include <QAbstractItemModel>

#include <algorithm>
#include <vector>

namespace regscope {

// Emits model->dataChanged once per run of consecutive rows (any order, duplicates allowed)
// spanning every column of `parent`.
void emitDataChangedRuns(QAbstractItemModel* model, const QModelIndex& parent,
                         std::vector<int> rows);

// Inserts `add` (sorted, none present) into sorted `vec`, one begin/endInsertRows per run of
// rows that land together, back to front so the positions computed up front stay right.
template <class T, class Less, class Begin, class End>
void insertRuns(std::vector<T>& vec, std::vector<T>& add, Less less, Begin begin, End end) {
    std::vector<size_t> pos(add.size());
    for (size_t i = 0; i < add.size(); ++i)
        pos[i] = size_t(std::lower_bound(vec.begin(), vec.end(), add[i], less) - vec.begin());
    size_t hi = add.size();
    while (hi > 0) {
        size_t lo = hi - 1;
        while (lo > 0 && pos[lo - 1] == pos[hi - 1])
            --lo;
        const int first = int(pos[lo]);
        begin(first, first + int(hi - lo) - 1);
        vec.insert(vec.begin() + qsizetype(pos[lo]),
                   std::make_move_iterator(add.begin() + qsizetype(lo)),
                   std::make_move_iterator(add.begin() + qsizetype(hi)));
        end();
        hi = lo;
    }
}

// Removes `rows` (any order) from `vec`, one begin/endRemoveRows per run, back to front.
template <class T, class Begin, class End>
void removeRuns(std::vector<T>& vec, std::vector<int> rows, Begin begin, End end) {
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    size_t hi = rows.size();
    while (hi > 0) {
        size_t lo = hi - 1;
        while (lo > 0 && rows[lo - 1] == rows[lo] - 1)
            --lo;
        begin(rows[lo], rows[hi - 1]);
        vec.erase(vec.begin() + rows[lo], vec.begin() + rows[hi - 1] + 1);
        end();
        hi = lo;
    }
}

} // namespace regscope
