#include "views/ConnectionBar.h"

#include "views/Theme.h"

#include <QComboBox>
#include <QDateTime>
#include <QEvent>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSettings>
#include <QTextDocumentFragment>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
const auto kSavedKey = u"connections/saved"_s;

QString stateColor(HealthState state) {
    switch (state) {
    case HealthState::Connecting:
    case HealthState::Degraded:
        return theme::text(ItemState::Warning).name();
    case HealthState::Live:
        return theme::text(ItemState::Healthy).name();
    case HealthState::Down:
        return theme::text(ItemState::Down).name();
    }
    return theme::text(ItemState::Muted).name();
}
} // namespace

ConnectionBar::ConnectionBar(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->addWidget(new QLabel(u"Source:"_s, this));
    m_url = new QComboBox(this);
    m_url->setEditable(true);
    m_url->setInsertPolicy(QComboBox::NoInsert);
    m_url->setMinimumContentsLength(20);
    m_url->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_url->setToolTip(u"demo, http://host:port, etcd://host:port[,host:port]/prefix, pid://PID, "
                      u"unix:///path/to.sock or file:///path/snapshot.json"_s);
    m_url->addItems(QSettings().value(kSavedKey).toStringList());
    layout->addWidget(m_url);
    m_connect = new QPushButton(u"Connect"_s, this);
    layout->addWidget(m_connect);
    m_dialog = new QPushButton(u"Connection…"_s, this);
    m_dialog->setObjectName(u"connectionDialogButton"_s);
    m_dialog->setToolTip(u"TLS, credentials and saved profiles (Ctrl+Shift+L)"_s);
    layout->addWidget(m_dialog);
    m_state = new QLabel(this);
    m_state->setObjectName(u"connectionState"_s);
    m_state->setMinimumWidth(70);
    layout->addWidget(m_state);
    m_badge = new QLabel(this);
    m_badge->setObjectName(u"snapshotBadge"_s);
    m_badge->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_badge->hide();
    makeShrinkable(m_badge); // a small window clips it (the tooltip has it all)
    m_badge->setMinimumWidth(130);
    layout->addWidget(m_badge, 1);
    m_reason = new QLabel(this);
    m_reason->setObjectName(u"connectionReason"_s);
    m_reason->setTextInteractionFlags(Qt::TextSelectableByMouse);
    makeShrinkable(m_reason);
    layout->addWidget(m_reason, 1);
    layout->addStretch(0); // what a capped badge leaves: not spread between the buttons
    m_progress = new QLabel(this);
    m_progress->setObjectName(u"connectionProgress"_s);
    m_progress->hide();
    layout->addWidget(m_progress);
    m_cancel = new QPushButton(u"Cancel load"_s, this);
    m_cancel->hide();
    layout->addWidget(m_cancel);
    m_retry = new QPushButton(u"Retry now"_s, this);
    m_retry->setObjectName(u"retryNowButton"_s);
    m_retry->hide();
    layout->addWidget(m_retry);
    m_fresh = new QLabel(this);
    m_fresh->setObjectName(u"connectionFreshness"_s);
    m_fresh->setMinimumWidth(0);
    layout->addWidget(m_fresh);
    m_forget = new QPushButton(u"Forget"_s, this);
    m_forget->setToolTip(u"Remove this URL from the source history"_s);
    layout->addWidget(m_forget);
    connect(m_cancel, &QPushButton::clicked, this, &ConnectionBar::cancelLoadRequested);
    connect(m_retry, &QPushButton::clicked, this, &ConnectionBar::retryNowRequested);
    connect(m_forget, &QPushButton::clicked, this, [this] { forget(url()); });

    auto request = [this] {
        const QString u = url();
        if (u.isEmpty())
            return;
        m_pendingUrl = u; // the history keeps it once it has connected
        Q_EMIT connectRequested(u);
    };
    connect(m_connect, &QPushButton::clicked, this, request);
    connect(m_dialog, &QPushButton::clicked, this, &ConnectionBar::dialogRequested);
    connect(m_url->lineEdit(), &QLineEdit::returnPressed, this, request);
    setHealth(SourceHealth{HealthState::Down, u"not attached"_s});
}

void ConnectionBar::setUrl(const QString& url) {
    m_url->setCurrentText(url);
    m_pendingUrl = url;
}

void ConnectionBar::forget(const QString& url) {
    const int at = m_url->findText(url);
    if (at >= 0)
        m_url->removeItem(at);
    QStringList saved = QSettings().value(kSavedKey).toStringList();
    saved.removeAll(url);
    QSettings().setValue(kSavedKey, saved);
    m_url->setCurrentText(url);
}

void ConnectionBar::setBadge(const QString& text) {
    m_badge->setText(text);
    m_badge->setToolTip(text.isEmpty() ? QString()
                                       : text + u"\nA snapshot is read-only: File ▸ Compare with "
                                                u"snapshot… compares one with a live source."_s);
    m_badge->setVisible(!text.isEmpty());
    styleBadge();
    // Never wider than its text: the stretch only lets it give way when the bar is short.
    QFont bold = m_badge->font(); // the style sheet makes it bold
    bold.setBold(true);
    m_badge->setMaximumWidth(QFontMetrics(bold).horizontalAdvance(text) + 40);
    m_reason->setVisible(text.isEmpty()); // the badge says it (and takes its room)
    if (!text.isEmpty())
        m_fresh->clear();
}

QString ConnectionBar::badgeText() const {
    return !m_badge->isHidden() ? m_badge->text() : QString();
}

void ConnectionBar::styleBadge() {
    m_badge->setStyleSheet(
        u"QLabel#snapshotBadge { background: %1; color: %2; border: 1px solid "
        u"%2; border-radius: 4px; padding: 1px 6px; font-weight: bold; }"_s.arg(
            theme::background(ItemState::Info).name(), theme::text(ItemState::Info).name()));
}

void ConnectionBar::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange)
        styleBadge();
    QWidget::changeEvent(event);
}

void ConnectionBar::setFreshness(qint64 lastDeliveryMs, qint64 nowMs, bool stale) {
    if (lastDeliveryMs <= 0 || !m_badge->isHidden()) {
        m_fresh->clear();
        return;
    }
    const qint64 ago = std::max<qint64>(0, (nowMs - lastDeliveryMs) / 1000);
    if (stale) {
        m_fresh->setText(u"<span style='color:%1'>stale data: last update %2 s ago</span>"_s.arg(
            theme::text(ItemState::Warning).name(), QString::number(ago)));
        return;
    }
    m_fresh->setText(u"as of %1 (%2 s ago)"_s.arg(
        QDateTime::fromMSecsSinceEpoch(lastDeliveryMs).toString(u"HH:mm:ss"_s),
        QString::number(ago)));
}

QString ConnectionBar::freshnessText() const {
    return QTextDocumentFragment::fromHtml(m_fresh->text()).toPlainText();
}

void ConnectionBar::setProgress(const ProgressEvent& p) {
    const bool loading = !p.finished && !p.what.isEmpty();
    m_progress->setVisible(loading);
    m_cancel->setVisible(loading && p.cancellable);
    if (!loading)
        return;
    const QLocale locale;
    m_progress->setText(p.total > 0 ? u"loading %1: %2 / %3"_s.arg(p.what, locale.toString(p.done),
                                                                   locale.toString(p.total))
                                    : u"loading %1: %2"_s.arg(p.what, locale.toString(p.done)));
}

QString ConnectionBar::progressText() const {
    return m_progress->isVisible() ? m_progress->text() : QString();
}

void ConnectionBar::setRetryAvailable(bool available) {
    m_retry->setVisible(available);
}

QString ConnectionBar::url() const {
    return m_url->currentText().trimmed();
}

void ConnectionBar::setHealth(const SourceHealth& health) {
    if (health.state == HealthState::Live && !m_pendingUrl.isEmpty())
        remember(std::exchange(m_pendingUrl, QString())); // only URLs that connected are kept
    if (health.state != HealthState::Down)
        m_retry->hide();
    m_state->setText(u"<span style='color:%1'>&#9679;</span> %2"_s.arg(stateColor(health.state),
                                                                       toString(health.state)));
    m_state->setProperty("plainState", toString(health.state));
    m_reason->setText(!m_badge->isHidden() && health.reason == m_badge->text() ? QString()
                                                                               : health.reason);
}

void ConnectionBar::showRefused(const QString& url, const QString& why,
                                const QString& stillAttached) {
    m_reason->show(); // also next to a snapshot's badge
    m_reason->setText(stillAttached.isEmpty() ? u"refused '%1': %2"_s.arg(url, why)
                                              : u"refused '%1': %2 — still attached to %3"_s.arg(
                                                    url, why, stillAttached));
}

QString ConnectionBar::stateText() const {
    return m_state->property("plainState").toString();
}

QString ConnectionBar::reasonText() const {
    return m_reason->text();
}

QStringList ConnectionBar::savedConnections() const {
    QStringList out;
    for (int i = 0; i < m_url->count(); ++i)
        out << m_url->itemText(i);
    return out;
}

void ConnectionBar::focusUrl() {
    m_url->setFocus(Qt::ShortcutFocusReason);
    m_url->lineEdit()->selectAll();
}

void ConnectionBar::remember(const QString& url) {
    QStringList saved = savedConnections();
    saved.removeAll(url);
    saved.prepend(url);
    while (saved.size() > kMaxSaved)
        saved.removeLast();
    const QSignalBlocker block(m_url);
    const QString current = m_url->currentText();
    m_url->clear();
    m_url->addItems(saved);
    m_url->setCurrentText(current.isEmpty() ? url : current);
    QSettings().setValue(kSavedKey, saved);
}

} // namespace regscope
