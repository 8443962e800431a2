#include "views/alerts/AlertSettingsDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

AlertSettingsDialog::AlertSettingsDialog(const AlertRules& rules, QWidget* parent)
    : QDialog(parent) {
    setObjectName(u"alertSettingsDialog"_s);
    setWindowTitle(u"Alerts"_s);
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(u"An alert shows in the status bar, on the Timeline and as a desktop "
                             u"notification, and clears when its condition ends."_s,
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto* grid = new QGridLayout;
    for (int i = 0; i < kAlertRuleCount; ++i) {
        const auto rule = AlertRuleId(i);
        auto* box = new QCheckBox(ruleTitle(rule), this);
        box->setObjectName(u"enabled_"_s + ruleKey(rule));
        box->setToolTip(ruleHelp(rule));
        m_enabled[size_t(i)] = box;
        grid->addWidget(box, i, 0);
        if (!hasThreshold(rule))
            continue;
        auto* spin = new QDoubleSpinBox(this);
        spin->setObjectName(u"threshold_"_s + ruleKey(rule));
        spin->setRange(0, 1e9);
        spin->setDecimals(rule == AlertRuleId::MissRate ? 1 : 0);
        spin->setSuffix(u" "_s + thresholdUnit(rule));
        spin->setToolTip(ruleHelp(rule));
        m_threshold[size_t(i)] = spin;
        grid->addWidget(spin, i, 1);
        connect(box, &QCheckBox::toggled, spin, &QWidget::setEnabled);
    }
    auto* holdLabel = new QLabel(u"Clear an alert when its condition has been gone for"_s, this);
    m_hold = new QSpinBox(this);
    m_hold->setObjectName(u"clearHold"_s);
    m_hold->setRange(0, 3600);
    m_hold->setSuffix(u" s"_s);
    grid->addWidget(holdLabel, kAlertRuleCount, 0);
    grid->addWidget(m_hold, kAlertRuleCount, 1);
    grid->setColumnStretch(0, 1);
    layout->addLayout(grid);

    auto* buttons = new QDialogButtonBox(
        QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::RestoreDefaults, this);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        Q_EMIT rulesAccepted(this->rules());
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this,
            [this] { setRules(AlertRules{}); });
    layout->addWidget(buttons);
    setRules(rules);
}

void AlertSettingsDialog::setRules(const AlertRules& rules) {
    for (int i = 0; i < kAlertRuleCount; ++i) {
        const AlertRule& r = rules.rules[size_t(i)];
        m_enabled[size_t(i)]->setChecked(r.enabled);
        if (QDoubleSpinBox* spin = m_threshold[size_t(i)]) {
            spin->setValue(r.threshold);
            spin->setEnabled(r.enabled);
        }
    }
    m_hold->setValue(rules.clearHoldMs / 1000);
}

AlertRules AlertSettingsDialog::rules() const {
    AlertRules out;
    for (int i = 0; i < kAlertRuleCount; ++i) {
        out.rules[size_t(i)].enabled = m_enabled[size_t(i)]->isChecked();
        if (const QDoubleSpinBox* spin = m_threshold[size_t(i)])
            out.rules[size_t(i)].threshold = spin->value();
        else
            out.rules[size_t(i)].threshold = 0;
    }
    out.clearHoldMs = m_hold->value() * 1000;
    return out;
}

} // namespace regscope
