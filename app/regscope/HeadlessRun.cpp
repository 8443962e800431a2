// The headless runs: --dump (the same Store the window reads, so a script sees what a user
// sees) and --inspect.

#include "app/regscope/JsonDump.h"
#include "app/regscope/RunModes.h"
#include "app/regscope/Session.h"
#include "app/regscope/WhenReady.h"
#ifdef REGSCOPE_HAVE_LOADER
#include "connectors/loader/Inspect.h"
#endif
#include "models/Store.h"

#include <QApplication>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimer>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

int writeStdout(const QByteArray& bytes) {
    if (std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout) != size_t(bytes.size()) ||
        std::fflush(stdout) != 0)
        return kExitIo;
    return 0;
}

} // namespace

int runDump(const CommandLine& cl) {
    if (cl.urls.size() > 1)
        return runDumpSources(cl);
    Store store;
    Session session(&store);
    if (auto attached = session.attach(cl.url); !attached) {
        printError(attached.error().message);
        return kExitUsage;
    }
    // Ready: attached, the first snapshot applied and one metrics sample in.
    whenReady(
        &store, cl.deadlineMs,
        [&store] { return store.health().state == HealthState::Live && !store.metrics().empty(); },
        [&store, &session, &cl](bool reached) {
            if (!reached) {
                store.flush();
                const SourceHealth h = store.health();
                printError(u"cannot reach %1: %2%3"_s.arg(
                    cl.url, toString(h.state),
                    h.reason.isEmpty() ? QString() : u" ("_s % h.reason % u')'));
                QApplication::exit(kExitUnreachable);
                return;
            }
            // --settle: watch a while longer, as a user looking at the window would.
            QTimer::singleShot(cl.settleMs, &store, [&store, &session, &cl] {
                store.flush();
                const QByteArray json = QJsonDocument(dumpJson(store, cl.url)).toJson();
                session.detach();
                QApplication::exit(writeStdout(json));
            });
        });
    return QApplication::exec();
}

int runInspectMode(const CommandLine& cl) {
#ifdef REGSCOPE_HAVE_LOADER
    QTextStream out(stdout);
    LoaderOptions options;
    if (!cl.pluginCookie.isEmpty()) {
        const qsizetype eq = cl.pluginCookie.indexOf(u'=');
        options.pluginCookieKey = cl.pluginCookie.left(eq);
        options.pluginCookieValue = cl.pluginCookie.mid(eq + 1);
    }
    return runInspect(cl.inspectFile, out, options);
#else
    printError(u"--inspect: this build has no plugin loader (REGSCOPE_WITH_LOADER=OFF)"_s);
    return kExitUsage;
#endif
}

} // namespace regscope
