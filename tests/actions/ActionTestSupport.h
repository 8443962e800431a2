#pragma once
// Shared by the tst_actions_* tests: submit a request to a dispatcher and wait (with a
// deadline) for its result; read the action log back.

#include "models/actions/ActionDispatcher.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QSignalSpy>
#include <QTest>

#include <optional>

namespace regscope {
// QCOMPARE prints result codes by name.
inline char* toString(const ActionResult::Code& code) {
    return qstrdup(codeText(code).toUtf8().constData());
}
} // namespace regscope

namespace regscope::test {

inline std::optional<ActionResult> runAction(ActionControl& control, const ActionRequest& request,
                                             int timeoutMs = 15000) {
    QSignalSpy spy(&control, &ActionControl::finished);
    const ActionId id = control.submit(request);
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        for (const auto& args : spy)
            if (args.at(0).value<ActionId>() == id)
                return args.at(1).value<ActionResult>();
        spy.wait(static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
    }
    return std::nullopt;
}

// The same, for test bodies that cannot go on without the answer.
inline ActionResult act(ActionControl& control, const ActionRequest& request) {
    auto result = runAction(control, request);
    if (!result)
        qFatal("action %s did not finish in time", qPrintable(request.summary()));
    return *result;
}

inline QList<QJsonObject> readLog(const QString& path) {
    QList<QJsonObject> lines;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return lines;
    while (!f.atEnd()) {
        const QByteArray line = f.readLine().trimmed();
        if (!line.isEmpty())
            lines.append(QJsonDocument::fromJson(line).object());
    }
    return lines;
}

} // namespace regscope::test
