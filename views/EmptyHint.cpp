#include "views/EmptyHint.h"

#include "models/ItemRoles.h"
#include "models/Store.h"
#include "views/Theme.h"

#include <QAbstractItemView>
#include <QEvent>
#include <QLabel>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace regscope {

EmptyHint::EmptyHint(QAbstractItemView* view, const Store* store, std::function<QString()> text)
    : QObject(view)
    , m_view(view)
    , m_label(new QLabel(view->viewport()))
    , m_text(std::move(text)) {
    m_label->setObjectName(u"emptyHint"_s);
    m_label->setWordWrap(true);
    m_label->setAlignment(Qt::AlignCenter);
    m_label->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_label->hide();
    view->viewport()->installEventFilter(this);
    // Coalesced: a burst of inserts asks once.
    auto* again = new QTimer(this);
    again->setSingleShot(true);
    again->setInterval(0);
    connect(again, &QTimer::timeout, this, &EmptyHint::refresh);
    if (QAbstractItemModel* m = view->model()) {
        connect(m, &QAbstractItemModel::rowsInserted, again, qOverload<>(&QTimer::start));
        connect(m, &QAbstractItemModel::rowsRemoved, again, qOverload<>(&QTimer::start));
        connect(m, &QAbstractItemModel::modelReset, again, qOverload<>(&QTimer::start));
        connect(m, &QAbstractItemModel::layoutChanged, again, qOverload<>(&QTimer::start));
    }
    if (store) {
        connect(store, &Store::healthChanged, again, qOverload<>(&QTimer::start));
        connect(store, &Store::cleared, again, qOverload<>(&QTimer::start));
        connect(store, &Store::snapshotApplied, again, qOverload<>(&QTimer::start));
    }
    refresh();
}

void EmptyHint::refresh() {
    if (!m_view)
        return;
    const QAbstractItemModel* model = m_view->model();
    const QString text = model && model->rowCount() == 0 ? m_text() : QString();
    if (text.isEmpty()) {
        m_label->hide();
        return;
    }
    m_label->setText(text);
    m_label->setStyleSheet(u"QLabel { color: %1; padding: 24px; }"_s.arg(
        theme::text(ItemState::Muted, theme::current()).name()));
    place();
    m_label->show();
}

void EmptyHint::place() {
    const QRect area = m_view->viewport()->rect();
    const int width = std::min(area.width(), 640);
    m_label->setFixedWidth(width);
    m_label->adjustSize();
    m_label->move(area.center().x() - width / 2,
                  std::max(0, area.height() / 3 - m_label->height() / 2));
}

bool EmptyHint::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() == QEvent::Resize && !m_label->isHidden())
        place();
    return QObject::eventFilter(watched, event);
}

QString emptySourceReason(const Store& store, const QString& what, const QString& whereFrom) {
    const HealthState state = store.health().state;
    if (state == HealthState::Connecting)
        return u"Connecting… %1 appear here once the source answers."_s.arg(what);
    if (state == HealthState::Down)
        return u"The source is down: no %1 to show. %2"_s.arg(what, store.health().reason);
    QStringList has;
    if (store.count(RecordKind::Entry) > 0)
        has << u"registry entries (Entries)"_s;
    if (store.count(RecordKind::Instance) > 0)
        has << u"instances (Instances)"_s;
    if (store.count(RecordKind::Key) > 0)
        has << u"keys (etcd)"_s;
    QString text = u"No %1 on this source. %2"_s.arg(what, whereFrom);
    if (!has.isEmpty())
        text += u"\nThis source has %1."_s.arg(has.join(u" and "_s));
    return text;
}

} // namespace regscope
