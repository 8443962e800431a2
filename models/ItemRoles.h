#pragma once
// What a cell means, never how it looks. Item models answer StateRole (the text) and
// RowStateRole (the row's background) with an ItemState; views/Theme maps each state to a
// colour for the light and the dark theme. Models stay QtCore-only and theme-blind.

#include <Qt>
#include <QtGlobal>

namespace regscope {

enum class ItemState : quint8 {
    Normal,     // nothing to say: the view's default colours
    Healthy,    // live, up, safe to remove, a hit
    Stale,      // an instance whose renew is overdue
    Deprecated, // a deprecated name or alias still in use
    Expiring,   // a lease or an eviction coming soon
    Crashed,    // a plugin that died, a member that is unreachable
    Down,       // a source that is down, an error, an eviction
    Unknown,    // we cannot judge: data too old, field not known
    Warning,    // worth a look: degraded, rejected, a miss
    Info,       // neutral emphasis: a reload, a resync, a register
    Added,      // diffs
    Removed,
    Changed,
    Muted, // old or greyed state (a source that exited)
};

inline constexpr int StateRole = Qt::UserRole + 0x400;    // ItemState (as int) of the text
inline constexpr int RowStateRole = Qt::UserRole + 0x401; // ItemState (as int) of the row
inline constexpr int EmphasisRole = Qt::UserRole + 0x402; // bool: show this cell in bold

} // namespace regscope
