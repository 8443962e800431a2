#include "models/alerts/AlertRules.h"

#include <QSettings>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

struct RuleText {
    const char16_t* key;
    const char16_t* title;
    const char16_t* unit; // empty: no threshold
    const char16_t* help;
};

// In AlertRuleId order.
constexpr RuleText kTexts[kAlertRuleCount] = {
    {u"miss_rate", u"Lookup misses above", u"misses/s",
     u"lookups of names that are not registered, per second (clears under 80 %)"},
    {u"self_protection", u"Discovery self-protection on", u"",
     u"the discovery server holds evictions: renews fell below its threshold"},
    {u"stale_instances", u"Stale instances, more than", u"instances",
     u"instances whose renew is overdue, as the server's clock says"},
    {u"lease_expiring", u"A lease expires within", u"s",
     u"an etcd lease's remaining TTL, counted down from its last reading"},
    {u"plugin_crash", u"A plugin crashed", u"",
     u"a plugin crashed, hung or stopped in a crash loop (one alert per plugin)"},
    {u"source_down", u"Source down for at least", u"s",
     u"the attached source stayed down (reconnect attempts included)"},
};

const RuleText& texts(AlertRuleId rule) {
    return kTexts[std::min<size_t>(size_t(rule), kAlertRuleCount - 1)];
}

} // namespace

QString ruleKey(AlertRuleId rule) {
    return QString::fromUtf16(texts(rule).key);
}

QString ruleTitle(AlertRuleId rule) {
    return QString::fromUtf16(texts(rule).title);
}

QString thresholdUnit(AlertRuleId rule) {
    return QString::fromUtf16(texts(rule).unit);
}

QString ruleHelp(AlertRuleId rule) {
    return QString::fromUtf16(texts(rule).help);
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
