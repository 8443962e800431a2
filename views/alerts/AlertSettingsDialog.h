#pragma once
// Settings ▸ Alerts…: each rule on or off with its threshold, and how long a condition must be
// gone before its alert clears. The caller saves the accepted rules (AlertRules::save).

#include "models/alerts/AlertRules.h"

#include <QDialog>

#include <array>

class QCheckBox;
class QDoubleSpinBox;
class QSpinBox;

namespace regscope {

class AlertSettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit AlertSettingsDialog(const AlertRules& rules, QWidget* parent = nullptr);

    void setRules(const AlertRules& rules);
    AlertRules rules() const;

    QCheckBox* enabledBox(AlertRuleId rule) const { return m_enabled[size_t(rule)]; }
    QDoubleSpinBox* thresholdBox(AlertRuleId rule) const { return m_threshold[size_t(rule)]; }

Q_SIGNALS:
    void rulesAccepted(const regscope::AlertRules& rules);

private:
    std::array<QCheckBox*, kAlertRuleCount> m_enabled{};
    std::array<QDoubleSpinBox*, kAlertRuleCount> m_threshold{};
    QSpinBox* m_hold = nullptr;
};

} // namespace regscope
