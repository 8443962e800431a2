#include "views/Theme.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QHelpEvent>
#include <QLabel>
#include <QPalette>
#include <QStyle>
#include <QToolTip>

namespace regscope::theme {

ThemeKind current() {
    return QApplication::palette().color(QPalette::Window).lightness() < 128 ? ThemeKind::Dark
                                                                             : ThemeKind::Light;
}

QPalette palette(ThemeKind kind) {
    if (kind == ThemeKind::Light)
        return QApplication::style() ? QApplication::style()->standardPalette() : QPalette();
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31);
    const QColor base(0x1e, 0x1f, 0x22);
    const QColor text(0xdf, 0xe1, 0xe5);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::red);
    p.setColor(QPalette::Link, QColor(0x58, 0xa6, 0xff));
    p.setColor(QPalette::Highlight, QColor(0x2f, 0x65, 0xca));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::PlaceholderText, QColor(0x8b, 0x8e, 0x94));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x70, 0x72, 0x77));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x70, 0x72, 0x77));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x70, 0x72, 0x77));
    return p;
}

QColor text(ItemState state, ThemeKind kind) {
    const bool dark = kind == ThemeKind::Dark;
    switch (state) {
    case ItemState::Normal:
        return {};
    case ItemState::Healthy:
    case ItemState::Added:
        return dark ? QColor(0x6c, 0xd1, 0x86) : QColor(0x1e, 0x7e, 0x34);
    case ItemState::Stale:
    case ItemState::Crashed:
    case ItemState::Down:
    case ItemState::Removed:
        return dark ? QColor(0xff, 0x7b, 0x72) : QColor(0xb0, 0x1c, 0x1c);
    case ItemState::Deprecated:
    case ItemState::Expiring:
    case ItemState::Warning:
    case ItemState::Changed:
        return dark ? QColor(0xf0, 0xb4, 0x4c) : QColor(0x9a, 0x5b, 0x00);
    case ItemState::Info:
        return dark ? QColor(0x79, 0xb8, 0xff) : QColor(0x1f, 0x4f, 0xb0);
    case ItemState::Unknown:
    case ItemState::Muted:
        return dark ? QColor(0x8b, 0x8e, 0x94) : QColor(0x6a, 0x6d, 0x73);
    }
    return {};
}

QColor background(ItemState state, ThemeKind kind) {
    const bool dark = kind == ThemeKind::Dark;
    switch (state) {
    case ItemState::Stale:
    case ItemState::Crashed:
    case ItemState::Down:
    case ItemState::Removed:
        return dark ? QColor(0x4a, 0x22, 0x24) : QColor(0xfd, 0xe2, 0xe2);
    case ItemState::Expiring:
    case ItemState::Warning:
    case ItemState::Changed:
    case ItemState::Deprecated:
        return dark ? QColor(0x47, 0x3a, 0x1c) : QColor(0xfb, 0xef, 0xd5);
    case ItemState::Added:
    case ItemState::Healthy:
        return dark ? QColor(0x1f, 0x3d, 0x27) : QColor(0xdc, 0xf3, 0xe1);
    case ItemState::Info:
        return dark ? QColor(0x1e, 0x30, 0x4d) : QColor(0xdd, 0xe8, 0xfa);
    case ItemState::Unknown:
    case ItemState::Muted:
        return dark ? QColor(0x2f, 0x30, 0x34) : QColor(0xee, 0xee, 0xf0);
    case ItemState::Normal:
        return {};
    }
    return {};
}

QColor series(Series s, ThemeKind kind) {
    const bool dark = kind == ThemeKind::Dark;
    switch (s) {
    case Series::Hits:
        return dark ? QColor(0x56, 0xd3, 0x64) : QColor(0x2e, 0x9e, 0x44);
    case Series::Misses:
        return dark ? QColor(0xff, 0xa6, 0x57) : QColor(0xe0, 0x7b, 0x00);
    case Series::Errors:
        return dark ? QColor(0xff, 0x7b, 0x72) : QColor(0xd0, 0x30, 0x30);
    case Series::P50:
        return dark ? QColor(0x79, 0xb8, 0xff) : QColor(0x2f, 0x65, 0xca);
    case Series::P99:
        return dark ? QColor(0xd2, 0xa8, 0xff) : QColor(0x8e, 0x44, 0xad);
    case Series::Entries:
        return dark ? QColor(0x39, 0xc5, 0xcf) : QColor(0x16, 0x8a, 0x8a);
    case Series::Other:
        return dark ? QColor(0xc9, 0xd1, 0xd9) : QColor(0x55, 0x5a, 0x60);
    }
    return {};
}

} // namespace regscope::theme

namespace regscope {

void StateDelegate::initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const {
    QStyledItemDelegate::initStyleOption(option, index);
    const ThemeKind kind = theme::current();
    const QVariant textState = index.data(StateRole);
    if (textState.isValid()) {
        const QColor c = theme::text(static_cast<ItemState>(textState.toInt()), kind);
        if (c.isValid())
            option->palette.setColor(QPalette::Text, c);
    }
    if (index.data(EmphasisRole).toBool())
        option->font.setBold(true);
    const QVariant rowState = index.data(RowStateRole);
    if (rowState.isValid()) {
        const QColor c = theme::background(static_cast<ItemState>(rowState.toInt()), kind);
        if (c.isValid())
            option->backgroundBrush = c;
    }
}

void useStateColours(QAbstractItemView* view) {
    view->setItemDelegate(new StateDelegate(view));
}

namespace {
// Shows a shrinkable label's whole text as its tooltip, whatever text it holds now.
class FullTextTip : public QObject {
public:
    using QObject::QObject;
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (event->type() != QEvent::ToolTip)
            return false;
        auto* label = static_cast<QLabel*>(watched);
        if (!label->toolTip().isEmpty() || label->text().isEmpty())
            return false; // its own tooltip wins
        QToolTip::showText(static_cast<QHelpEvent*>(event)->globalPos(), label->text(), label);
        return true;
    }
};
} // namespace

void makeShrinkable(QLabel* label) {
    label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    label->setMinimumWidth(0);
    label->installEventFilter(new FullTextTip(label));
}

} // namespace regscope
