#include "models/Suggest.h"

#include <algorithm>
#include <vector>

namespace regscope {

int editDistance(QStringView a, QStringView b, int max) {
    const qsizetype n = a.size();
    const qsizetype m = b.size();
    if (std::abs(n - m) > max)
        return max + 1;
    std::vector<int> prev2(size_t(m + 1)), prev(size_t(m + 1)), cur(size_t(m + 1));
    for (qsizetype j = 0; j <= m; ++j)
        prev[size_t(j)] = int(j);
    for (qsizetype i = 1; i <= n; ++i) {
        cur[0] = int(i);
        int rowMin = cur[0];
        const QChar ca = a[i - 1].toCaseFolded();
        for (qsizetype j = 1; j <= m; ++j) {
            const QChar cb = b[j - 1].toCaseFolded();
            const int cost = ca == cb ? 0 : 1;
            int d =
                std::min({prev[size_t(j)] + 1, cur[size_t(j - 1)] + 1, prev[size_t(j - 1)] + cost});
            if (i > 1 && j > 1 && ca == b[j - 2].toCaseFolded() && a[i - 2].toCaseFolded() == cb)
                d = std::min(d, prev2[size_t(j - 2)] + 1); // transposition
            cur[size_t(j)] = d;
            rowMin = std::min(rowMin, d);
        }
        if (rowMin > max)
            return max + 1;
        std::swap(prev2, prev);
        std::swap(prev, cur);
    }
    return std::min(prev[size_t(m)], max + 1);
}

QString suggestName(QStringView missed, const QStringList& candidates) {
    const int max = std::max<int>(2, int(missed.size() / 3));
    int best = max + 1;
    QString bestName;
    for (const QString& c : candidates) {
        const int d = editDistance(missed, c, std::min(max, best));
        if (d < best) {
            best = d;
            bestName = c;
            if (d == 0)
                break;
        }
    }
    return best <= max ? bestName : QString();
}

} // namespace regscope
