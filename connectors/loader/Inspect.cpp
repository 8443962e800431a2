#include "connectors/loader/Inspect.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace regscope {

int runInspect(const QString& path, QTextStream& out, const LoaderOptions& options) {
    LoaderClient client(options);
    QEventLoop loop;
    PluginVerdict readyVerdict;
    bool wasReady = false;
    QObject::connect(&client, &LoaderClient::ready, &loop, [&](const PluginVerdict& verdict) {
        readyVerdict = verdict;
        wasReady = true;
        client.unload();
    });
    QObject::connect(&client, &LoaderClient::finished, &loop, &QEventLoop::quit);
    // The client's own deadlines end every load; this bound only guards against a bug.
    const int guardMs = options.handshakeTimeoutMs + 6 * options.stageTimeoutMs + 2000;
    QTimer::singleShot(guardMs, &loop, [&client] { client.kill(); });
    client.start(path);
    loop.exec();

    PluginVerdict verdict = client.verdict();
    if (wasReady && verdict.state == PluginState::Unloaded) {
        // Report what was loaded, not that we let it go again.
        // The loader's own rusage (peak RSS, CPU) comes with its end, after the ready report.
        const PluginVerdict last = verdict;
        verdict = readyVerdict;
        verdict.stderrTail = last.stderrTail;
        if (last.peakRssKiB >= 0) {
            verdict.peakRssKiB = last.peakRssKiB;
            verdict.cpuMs = last.cpuMs;
        }
    }
    out << QString::fromUtf8(QJsonDocument(verdict.toJson()).toJson(QJsonDocument::Indented));
    out.flush();
    return verdict.clean() ? 0 : 2;
}

} // namespace regscope
