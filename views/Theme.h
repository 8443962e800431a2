#pragma once
// The one place colours live. Item models say what a cell means (models/ItemRoles.h); the
// theme says how that looks in the light and the dark palette, in the manner of qBittorrent's
// UIThemeManager. StateDelegate applies it to any item view.

#include "models/ItemRoles.h"

#include <QColor>
#include <QStyledItemDelegate>

class QAbstractItemView;
class QLabel;
class QPalette;

namespace regscope {

enum class ThemeKind : quint8 { Light, Dark };

namespace theme {

// The kind of the application palette now (dark when its window colour is dark).
ThemeKind current();
QPalette palette(ThemeKind kind);
// Text colour for a state; invalid for ItemState::Normal (keep the view's own).
QColor text(ItemState state, ThemeKind kind = current());
// Row background for a state; invalid for Normal and for states that only colour text.
QColor background(ItemState state, ThemeKind kind = current());
// Chart series colours, readable on both themes' chart backgrounds.
enum class Series : quint8 { Hits, Misses, Errors, P50, P99, Entries, Other };
QColor series(Series s, ThemeKind kind = current());

} // namespace theme

// Paints StateRole / RowStateRole with the current theme's colours.
class StateDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override;
};

// Installs a StateDelegate on the view (owned by the view).
void useStateColours(QAbstractItemView* view);

// A status line that gives way when the window is small (700×450 must stay usable): it takes
// no width of its own, clips its text, and shows all of it as its tooltip.
void makeShrinkable(QLabel* label);

} // namespace regscope
