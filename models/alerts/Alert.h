#pragma once
// One alert as the engine raised it, and its `--follow` line.

#include "models/alerts/AlertRules.h"

#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace regscope {

struct Alert {
    AlertRuleId rule = AlertRuleId::MissRate;
    QString subject; // what it is about: the source URL, a plugin path, a lease id
    QString message; // human words, with the figure that crossed the threshold
    qint64 raisedAtMs = 0;
    qint64 clearedAtMs = 0; // 0 while the alert is active
    bool active() const { return clearedAtMs == 0; }
};

// The `--follow` line of a raise or a clear (the state comes from clearedAtMs):
//   {"op":"alert","rule":"miss_rate","state":"raised"|"cleared","subject":"demo",
//    "message":"...","time":"2026-12-01T20:15:03.120Z","ts":1764620103120}
// time is ISO 8601 UTC (of the raise, or of the clear); ts the same instant in ms since epoch.
QJsonObject toJson(const Alert& alert);

} // namespace regscope

Q_DECLARE_METATYPE(regscope::Alert)
