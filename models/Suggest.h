#pragma once
// "Did you mean": the registered name closest to a missed one, by edit distance
// (Damerau–Levenshtein, optimal string alignment; case-insensitive).

#include <QString>
#include <QStringList>

namespace regscope {

// The distance, or max + 1 once it is certain to exceed max (cheap early exit).
int editDistance(QStringView a, QStringView b, int max);

// The closest candidate within max(2, missed.size() / 3) edits; empty when none is close.
// Ties go to the candidate that comes first.
QString suggestName(QStringView missed, const QStringList& candidates);

} // namespace regscope
