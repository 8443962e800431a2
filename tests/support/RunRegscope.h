#pragma once
// Runs the real regscope executable (REGSCOPE_APP, set by the test's CMake) with a deadline
// and collects its exit code and output, for tests of its headless modes.

#include <QProcess>
#include <QStringList>

namespace regscope::test {

struct RegscopeRun {
    int exitCode = -1; // -1: crashed or killed at the deadline
    QByteArray out, err;
};

inline RegscopeRun runRegscope(const QStringList& args, int deadlineMs = 30'000) {
    QProcess p;
    p.start(QStringLiteral(REGSCOPE_APP), args);
    RegscopeRun r;
    if (!p.waitForFinished(deadlineMs)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

} // namespace regscope::test
