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
#ifdef REGSCOPE_HAVE_PROBE
#include "app/regscope/ProbeFeeder.h"
#endif

#include <QApplication>
#include <QJsonDocument>
#include <QSaveFile>
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

// --output FILE: all or nothing (QSaveFile renames a complete file over the old one).
int writeFile(const QString& path, const QByteArray& bytes) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        printError(u"cannot write %1: %2"_s.arg(path, file.errorString()));
        return kExitIo;
    }
    return 0;
}

void dumpNow(Store& store, Session& session, const CommandLine& cl) {
    store.flush();
    const QByteArray json = QJsonDocument(dumpJson(store, cl.url, cl.probe)).toJson();
    session.detach();
    QApplication::exit(writeDump(cl.outputFile, json));
}

} // namespace

int writeDump(const QString& outputFile, const QByteArray& json) {
    return outputFile.isEmpty() ? writeStdout(json) : writeFile(outputFile, json);
}

int runDump(const CommandLine& cl) {
    if (cl.urls.size() > 1)
        return runDumpSources(cl);
    Store store;
    Session session(&store);
#ifdef REGSCOPE_HAVE_PROBE
    // --probe: once the source is ready, every address is probed (within the bounds) and the
    // dump waits until each instance has its verdicts, or --deadline more seconds pass.
    ProbeFeeder probes(&store, cl.probeLimits);
    const auto afterSettle = [&store, &session, &cl, &probes] {
        if (!cl.probe) {
            dumpNow(store, session, cl);
            return;
        }
        probes.setProbing(true);
        whenReady(
            &store, cl.deadlineMs, [&probes] { return probes.allProbed(); },
            [&store, &session, &cl](bool) { dumpNow(store, session, cl); });
    };
#else
    if (cl.probe) {
        printError(u"--probe: this build has no prober (connectors/probe was not built)"_s);
        return kExitUsage;
    }
    const auto afterSettle = [&store, &session, &cl] { dumpNow(store, session, cl); };
#endif
    if (auto attached = session.attach(cl.url); !attached) {
        printError(attached.error().message);
        return kExitUsage;
    }
    // Ready: attached, the first snapshot applied and one metrics sample in.
    whenReady(
        &store, cl.deadlineMs,
        // A snapshot (file://) is complete once live, metrics or not.
        [&store, snapshot = cl.url.trimmed().startsWith(u"file://")] {
            return store.health().state == HealthState::Live &&
                   (snapshot || !store.metrics().empty());
        },
        [&store, &cl, afterSettle](bool reached) {
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
            QTimer::singleShot(cl.settleMs, &store, afterSettle);
        });
    return QApplication::exec();
}

int runInspectMode([[maybe_unused]] const CommandLine& cl) { // unused without the loader
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
