#include "models/ProbeControl.h"

#include <QStringList>

using namespace Qt::StringLiterals;

namespace regscope {

ProbeControl::~ProbeControl() = default;

std::expected<ProbeLimits, QString> parseProbeLimits(const QString& text, ProbeLimits base) {
    for (const QString& part : text.split(u',', Qt::SkipEmptyParts)) {
        const qsizetype eq = part.indexOf(u'=');
        const QString key = part.left(eq).trimmed();
        const QString value = eq < 0 ? QString() : part.mid(eq + 1).trimmed();
        bool ok = false;
        const double number = value.toDouble(&ok);
        const auto bad = [&](const QString& why) {
            return std::unexpected(u"--probe-options: %1 in '%2'"_s.arg(why, part));
        };
        if (eq <= 0)
            return bad(u"expected KEY=VALUE"_s);
        if (key == u"path") {
            if (!value.startsWith(u'/') || value.contains(u' '))
                return bad(u"the path starts with / and has no spaces"_s);
            base.httpPath = value;
        } else if (key == u"rate") {
            if (!ok || number <= 0 || number > 100000)
                return bad(u"rate is probes per second, above 0"_s);
            base.ratePerSecond = number;
        } else if (key == u"in-flight") {
            if (!ok || number < 1 || number > 10000 || number != int(number))
                return bad(u"in-flight is a whole number from 1"_s);
            base.maxInFlight = int(number);
        } else if (key == u"timeout" || key == u"interval") {
            if (!ok || number <= 0 || number > 86400)
                return bad(u"%1 is seconds, above 0"_s.arg(key));
            (key == u"timeout" ? base.timeoutMs : base.intervalMs) =
                std::max(1, int(number * 1000));
        } else {
            return bad(u"unknown key '%1' (path, rate, in-flight, timeout, interval)"_s.arg(key));
        }
    }
    return base;
}

} // namespace regscope
