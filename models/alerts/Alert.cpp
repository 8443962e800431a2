#include "models/alerts/Alert.h"

#include <QDateTime>

using namespace Qt::StringLiterals;

namespace regscope {

QJsonObject toJson(const Alert& alert) {
    const qint64 at = alert.active() ? alert.raisedAtMs : alert.clearedAtMs;
    return QJsonObject{
        {u"op"_s, u"alert"_s},
        {u"rule"_s, ruleKey(alert.rule)},
        {u"state"_s, alert.active() ? u"raised"_s : u"cleared"_s},
        {u"subject"_s, alert.subject},
        {u"message"_s, alert.message},
        {u"time"_s, QDateTime::fromMSecsSinceEpoch(at, Qt::UTC).toString(Qt::ISODateWithMs)},
        {u"ts"_s, at},
    };
}

} // namespace regscope
