#include "views/ConnectionBar.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
const auto kSavedKey = u"connections/saved"_s;

QString stateColor(HealthState state) {
    switch (state) {
    case HealthState::Connecting:
        return u"#d4a017"_s;
    case HealthState::Live:
        return u"#2e9e44"_s;
    case HealthState::Degraded:
        return u"#e07b00"_s;
    case HealthState::Down:
        return u"#d03030"_s;
    }
    return u"#888888"_s;
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
    m_url->setMinimumContentsLength(32);
    m_url->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_url->setToolTip(u"demo, http://host:port or etcd://host:port[,host:port]/prefix"_s);
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
    m_state->setMinimumWidth(110);
    layout->addWidget(m_state);
    m_reason = new QLabel(this);
    m_reason->setObjectName(u"connectionReason"_s);
    m_reason->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_reason, 1);

    auto request = [this] {
        const QString u = url();
        if (u.isEmpty())
            return;
        remember(u);
        Q_EMIT connectRequested(u);
    };
    connect(m_connect, &QPushButton::clicked, this, request);
    connect(m_dialog, &QPushButton::clicked, this, &ConnectionBar::dialogRequested);
    connect(m_url->lineEdit(), &QLineEdit::returnPressed, this, request);
    setHealth(SourceHealth{HealthState::Down, u"not attached"_s});
}

void ConnectionBar::setUrl(const QString& url) {
    m_url->setCurrentText(url);
    remember(url);
}

QString ConnectionBar::url() const {
    return m_url->currentText().trimmed();
}

void ConnectionBar::setHealth(const SourceHealth& health) {
    m_state->setText(u"<span style='color:%1'>&#9679;</span> %2"_s.arg(stateColor(health.state),
                                                                       toString(health.state)));
    m_state->setProperty("plainState", toString(health.state));
    m_reason->setText(health.reason);
}

void ConnectionBar::showRefused(const QString& url, const QString& why,
                                const QString& stillAttached) {
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
