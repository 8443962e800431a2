#include "views/alerts/AlertBadge.h"

#include "models/alerts/AlertEngine.h"
#include "views/Theme.h"

#include <QDateTime>
#include <QEvent>
#include <QMenu>

using namespace Qt::StringLiterals;

namespace regscope {

AlertBadge::AlertBadge(AlertEngine* engine, QWidget* parent)
    : QToolButton(parent)
    , m_engine(engine) {
    setObjectName(u"alertBadge"_s);
    setAutoRaise(true);
    setToolButtonStyle(Qt::ToolButtonTextOnly);
    setToolTip(u"Active alerts: click for the list"_s);
    connect(engine, &AlertEngine::activeChanged, this, &AlertBadge::refresh);
    connect(engine, &AlertEngine::raised, this, &AlertBadge::refresh);
    connect(this, &QToolButton::clicked, this, &AlertBadge::showList);
    applyTheme();
    refresh();
}

QStringList AlertBadge::lines() const {
    QStringList out;
    for (const Alert& a : m_engine->active())
        out.append(u"%1 %2 — %3: %4"_s.arg(
            QDateTime::fromMSecsSinceEpoch(a.raisedAtMs).toString(u"HH:mm:ss"_s), ruleTitle(a.rule),
            a.subject, a.message));
    return out;
}

void AlertBadge::refresh() {
    const int n = m_engine->activeCount();
    setText(n == 1 ? u"⚠ 1 alert"_s : u"⚠ %1 alerts"_s.arg(n));
    setVisible(n > 0);
}

void AlertBadge::changeEvent(QEvent* event) {
    QToolButton::changeEvent(event);
    // A widget with a style sheet keeps its own palette: the application's change is the cue.
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange)
        applyTheme();
}

void AlertBadge::applyTheme() {
    const ThemeKind kind = theme::current();
    const QColor fg = theme::text(ItemState::Warning, kind);
    const QColor bg = theme::background(ItemState::Warning, kind);
    // Setting a style sheet changes the palette: guard against re-entering from it.
    const QString sheet =
        u"QToolButton#alertBadge { color: %1; background: %2; border: 1px solid %1; "
        u"border-radius: 3px; padding: 0 6px; font-weight: bold; }"_s.arg(fg.name(), bg.name());
    if (styleSheet() != sheet)
        setStyleSheet(sheet);
}

void AlertBadge::showList() {
    QMenu menu(this);
    menu.setObjectName(u"alertList"_s);
    const QStringList all = lines();
    for (const QString& line : all)
        menu.addAction(line)->setEnabled(false);
    if (all.isEmpty())
        menu.addAction(u"no active alerts"_s)->setEnabled(false);
    menu.addSeparator();
    menu.addAction(u"Alert settings…"_s, this, &AlertBadge::settingsRequested);
    menu.exec(mapToGlobal(QPoint(0, -menu.sizeHint().height())));
}

} // namespace regscope
