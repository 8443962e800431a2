#include "models/alerts/AlertRules.h"

#include <QSettings>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

QString ruleKey(AlertRuleId rule) {
    switch (rule) {
    case AlertRuleId::MissRate:
        return u"miss_rate"_s;
    case AlertRuleId::SelfProtection:
        return u"self_protection"_s;
    case AlertRuleId::StaleInstances:
        return u"stale_instances"_s;
    case AlertRuleId::LeaseExpiring:
        return u"lease_expiring"_s;
    case AlertRuleId::PluginCrash:
        return u"plugin_crash"_s;
    case AlertRuleId::SourceDown:
        return u"source_down"_s;
    }
    return {};
}

QString ruleTitle(AlertRuleId rule) {
    switch (rule) {
    case AlertRuleId::MissRate:
        return u"Lookup misses above"_s;
    case AlertRuleId::SelfProtection:
        return u"Discovery self-protection on"_s;
    case AlertRuleId::StaleInstances:
        return u"Stale instances, more than"_s;
    case AlertRuleId::LeaseExpiring:
        return u"A lease expires within"_s;
    case AlertRuleId::PluginCrash:
        return u"A plugin crashed"_s;
    case AlertRuleId::SourceDown:
        return u"Source down for at least"_s;
    }
    return {};
}

QString thresholdUnit(AlertRuleId rule) {
    switch (rule) {
    case AlertRuleId::MissRate:
        return u"misses/s"_s;
    case AlertRuleId::StaleInstances:
        return u"instances"_s;
    case AlertRuleId::LeaseExpiring:
    case AlertRuleId::SourceDown:
        return u"s"_s;
    case AlertRuleId::SelfProtection:
    case AlertRuleId::PluginCrash:
        return {};
    }
    return {};
}

AlertRules AlertRules::load(QSettings& settings) {
    AlertRules out;
    settings.beginGroup(u"alerts"_s);
    for (int i = 0; i < kAlertRuleCount; ++i) {
        const QString key = ruleKey(AlertRuleId(i));
        AlertRule& rule = out.rules[size_t(i)];
        const QVariant enabled = settings.value(key + u"/enabled"_s);
        if (enabled.isValid())
            rule.enabled = enabled.toBool();
        bool ok = false;
        const double threshold = settings.value(key + u"/threshold"_s).toDouble(&ok);
        if (ok)
            rule.threshold = std::max(0.0, threshold);
    }
    bool ok = false;
    const int hold = settings.value(u"clearHoldMs"_s).toInt(&ok);
    if (ok && hold >= 0)
        out.clearHoldMs = hold;
    settings.endGroup();
    return out;
}

void AlertRules::save(QSettings& settings) const {
    settings.beginGroup(u"alerts"_s);
    for (int i = 0; i < kAlertRuleCount; ++i) {
        const QString key = ruleKey(AlertRuleId(i));
        settings.setValue(key + u"/enabled"_s, rules[size_t(i)].enabled);
        settings.setValue(key + u"/threshold"_s, rules[size_t(i)].threshold);
    }
    settings.setValue(u"clearHoldMs"_s, clearHoldMs);
    settings.endGroup();
}

} // namespace regscope
