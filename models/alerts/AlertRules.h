#pragma once
// The six alert rules of the Settings ▸ Alerts… dialog, each with an enabled flag and a
// threshold, their defaults and how they are kept in QSettings (group "alerts").

#include <QString>

#include <array>

class QSettings;

namespace regscope {

enum class AlertRuleId : quint8 {
    MissRate,       // lookup misses per second above the threshold
    SelfProtection, // the discovery server's self-protection is on (no threshold)
    StaleInstances, // more than threshold instances are stale
    LeaseExpiring,  // an etcd lease expires within threshold seconds
    PluginCrash,    // a plugin crashed, hung or is in a crash loop (no threshold)
    SourceDown,     // the source has been down for at least threshold seconds
};
inline constexpr int kAlertRuleCount = 6;

// The rule's name in JSON lines and QSettings keys: miss_rate, self_protection,
// stale_instances, lease_expiring, plugin_crash, source_down.
QString ruleKey(AlertRuleId rule);
// Words for the dialog and the badge's list: "Miss rate above", "Self-protection on"...
QString ruleTitle(AlertRuleId rule);
// What the rule watches, in a sentence (the dialog's tooltip).
QString ruleHelp(AlertRuleId rule);
// The threshold's unit ("misses/s", "instances", "s"); empty: the rule has no threshold.
QString thresholdUnit(AlertRuleId rule);
inline bool hasThreshold(AlertRuleId rule) {
    return !thresholdUnit(rule).isEmpty();
}

struct AlertRule {
    bool enabled = true;
    double threshold = 0;
    friend bool operator==(const AlertRule&, const AlertRule&) = default;
};

struct AlertRules {
    // Defaults: 500 misses/s (the demo misses ~300/s on purpose); any stale instance (more than 0);
    // a lease within 3 s of expiring (the etcd connector re-reads a TTL every 5 s, so a kept-alive
    // lease of 10 s is never estimated below 3 s); a source down for 10 s (a reconnect is not an
    // alert).
    std::array<AlertRule, kAlertRuleCount> rules{{
        {true, 500},
        {true, 0},
        {true, 0},
        {true, 3},
        {true, 0},
        {true, 10},
    }};
    // An alert clears only once its condition has been gone this long (no flapping).
    int clearHoldMs = 5000;

    AlertRule& operator[](AlertRuleId id) { return rules[static_cast<size_t>(id)]; }
    const AlertRule& operator[](AlertRuleId id) const { return rules[static_cast<size_t>(id)]; }
    friend bool operator==(const AlertRules&, const AlertRules&) = default;

    // Missing or malformed values keep their defaults; a negative threshold reads as 0.
    static AlertRules load(QSettings& settings);
    void save(QSettings& settings) const;
};

} // namespace regscope
