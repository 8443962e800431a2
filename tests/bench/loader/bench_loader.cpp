// bench_loader: the price of isolation. 100 runs each of
//   load   — spawn regscope-loader + handshake + load the codec demo + report (to `ready`);
//   crash  — a plugin's process() segfaults → the Crashed verdict lands in PluginModel;
//   invoke — a rot13 round trip through the loader vs the same function called in-process;
//   inspect — a go-plugin binary (build info + sandboxed handshake) and libLLVM (110 MB:
//            sha256, facts, missing dependencies, dlopen), spawn to verdict; and the app's
//            own facts reading of libLLVM alone.
// Prints median and p99 (max for inspect) of each and the invoke ratio, against the goals
// (load < 20 ms median, crash verdict < 50 ms).

#include "connectors/loader/CrashReport.h"
#include "connectors/loader/LoaderClient.h"
#include "connectors/loader/PluginSupervisor.h"
#include "models/Store.h"
#include "models/plugins/PluginModel.h"
#include "regscope_plugin.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonObject>
#include <QTimer>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

constexpr int kRuns = 100;
std::map<std::string, std::vector<double>> g_samples; // ms

QString demo(const char* name) {
    return QStringLiteral(REGSCOPE_DEMO_PLUGIN_DIR) + u'/' + QLatin1StringView(name);
}

// Runs the event loop until `done` says so; bounded.
template <typename Pred>
bool spinUntil(Pred done, int timeoutMs = 10000) {
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
    }
    return true;
}

void BM_LoadSmallPlugin(benchmark::State& state) {
    auto& samples = g_samples["load"];
    for (auto _ : state) {
        LoaderClient client;
        bool ready = false, finished = false;
        QObject::connect(&client, &LoaderClient::ready, [&](const PluginVerdict& v) {
            ready = true;
            g_samples["loadInside"].push_back(v.loadMs);
        });
        QObject::connect(&client, &LoaderClient::finished, [&] { finished = true; });
        QElapsedTimer t;
        t.start();
        client.start(demo("codec_demo.so"));
        if (!spinUntil([&] { return ready || finished; }) || !ready) {
            state.SkipWithError("load failed");
            break;
        }
        const double ms = double(t.nsecsElapsed()) / 1e6;
        state.SetIterationTime(ms / 1e3);
        samples.push_back(ms);
        client.unload();
        spinUntil([&] { return finished; });
    }
}
BENCHMARK(BM_LoadSmallPlugin)->Iterations(kRuns)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_CrashToVerdictInModel(benchmark::State& state) {
    auto& samples = g_samples["crash"];
    // As the app composes it: supervisor → Store → model.
    Store store;
    PluginModel model;
    model.setStore(&store);
    SupervisorOptions options;
    options.autoRetry = false;
    PluginSupervisor supervisor(options);
    QObject::connect(&supervisor, &PluginSupervisor::eventsReady, &store, &Store::apply);
    const QString path = demo("fault_process_segv.so");
    auto stateIs = [&](PluginState s) {
        const PluginRow* row = model.find(path);
        return row && row->state == s;
    };
    supervisor.loadFile(path);
    for (auto _ : state) {
        if (!spinUntil([&] { return stateIs(PluginState::Ready); })) {
            state.SkipWithError("not ready");
            break;
        }
        QElapsedTimer t;
        t.start();
        supervisor.invoke(path, u"fault-process-segv"_s, "x");
        if (!spinUntil([&] { return stateIs(PluginState::Crashed); })) {
            state.SkipWithError("no verdict");
            break;
        }
        const double ms = double(t.nsecsElapsed()) / 1e6;
        state.SetIterationTime(ms / 1e3);
        samples.push_back(ms);
        state.PauseTiming();
        supervisor.retry(path, false);
        state.ResumeTiming();
    }
}
BENCHMARK(BM_CrashToVerdictInModel)
    ->Iterations(kRuns)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// Spawn → verdict for one file (ready, then unloaded; or refused): what `--inspect` costs.
void inspectOnce(benchmark::State& state, const QString& path, const LoaderOptions& options,
                 std::vector<double>& samples) {
    LoaderClient client(options);
    bool ready = false, finished = false;
    QObject::connect(&client, &LoaderClient::ready, [&] { ready = true; });
    QObject::connect(&client, &LoaderClient::finished, [&] { finished = true; });
    QElapsedTimer t;
    t.start();
    client.start(path);
    if (!spinUntil([&] { return ready || finished; }, 30000) || !ready) {
        state.SkipWithError("inspect failed");
        return;
    }
    const double ms = double(t.nsecsElapsed()) / 1e6;
    state.SetIterationTime(ms / 1e3);
    samples.push_back(ms);
    client.unload();
    spinUntil([&] { return finished; });
}

void BM_InspectGoPlugin(benchmark::State& state) {
    LoaderOptions options;
    options.stageTimeoutMs = 8000;
    options.pluginCookieKey = u"REGSCOPE_TEST_PLUGIN"_s;
    options.pluginCookieValue = u"greeter-7a1b"_s;
    const QString path = QStringLiteral(REGSCOPE_FIXTURE_DIR) + u"/goplugin_grpc"_s;
    for (auto _ : state)
        inspectOnce(state, path, options, g_samples["inspectGo"]);
}
BENCHMARK(BM_InspectGoPlugin)->Iterations(20)->UseManualTime()->Unit(benchmark::kMillisecond);

const QString kLibLlvm = u"/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1"_s;

void BM_InspectLibLlvm(benchmark::State& state) {
    LoaderOptions options;
    options.stageTimeoutMs = 20000;
    options.addressSpaceBytes = 2ll << 30;
    for (auto _ : state)
        inspectOnce(state, kLibLlvm, options, g_samples["inspectLlvm"]);
}
BENCHMARK(BM_InspectLibLlvm)->Iterations(10)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_AppFactsLibLlvm(benchmark::State& state) {
    for (auto _ : state) {
        QElapsedTimer t;
        t.start();
        const QJsonObject facts = readFactsInApp(kLibLlvm);
        benchmark::DoNotOptimize(facts);
        const double ms = double(t.nsecsElapsed()) / 1e6;
        state.SetIterationTime(ms / 1e3);
        g_samples["factsLlvm"].push_back(ms);
    }
}
BENCHMARK(BM_AppFactsLibLlvm)->Iterations(10)->UseManualTime()->Unit(benchmark::kMillisecond);

const QByteArray kPayload(64, 'q');

void BM_InvokeRoundTrip(benchmark::State& state) {
    auto& samples = g_samples["invoke"];
    LoaderClient client;
    bool ready = false;
    QObject::connect(&client, &LoaderClient::ready, [&] { ready = true; });
    client.start(demo("codec_demo.so"));
    if (!spinUntil([&] { return ready; })) {
        state.SkipWithError("not ready");
        return;
    }
    for (auto _ : state) {
        bool answered = false;
        auto c = QObject::connect(&client, &LoaderClient::invokeFinished,
                                  [&](const InvokeResult& r) { answered = r.ok; });
        QElapsedTimer t;
        t.start();
        client.invoke(u"rot13"_s, kPayload);
        spinUntil([&] { return answered; });
        const double ms = double(t.nsecsElapsed()) / 1e6;
        QObject::disconnect(c);
        state.SetIterationTime(ms / 1e3);
        samples.push_back(ms);
    }
    client.unload();
}
BENCHMARK(BM_InvokeRoundTrip)->Iterations(kRuns)->UseManualTime()->Unit(benchmark::kMicrosecond);

// The baseline: the very same rot13 from the same .so, dlopen()ed into this process.
regscope_process_fn g_rot13 = nullptr;
extern "C" int captureRot13(const regscope_host*, const regscope_impl* impl) {
    if (std::string(impl->name) == "rot13")
        g_rot13 = impl->process;
    return 0;
}
extern "C" int appendTo(void* ctx, const uint8_t* data, size_t n) {
    static_cast<std::string*>(ctx)->append(reinterpret_cast<const char*>(data), n);
    return 0;
}

void BM_DirectCall(benchmark::State& state) {
    auto& samples = g_samples["direct"];
    void* handle = dlopen(QFile::encodeName(demo("codec_demo.so")).constData(), RTLD_NOW);
    auto entry = handle ? reinterpret_cast<regscope_plugin_entry_fn>(
                              dlsym(handle, REGSCOPE_PLUGIN_ENTRY_SYMBOL))
                        : nullptr;
    if (!entry) {
        state.SkipWithError("dlopen failed");
        return;
    }
    regscope_host host{REGSCOPE_PLUGIN_ABI_VERSION, nullptr, captureRot13, nullptr};
    entry()->init(&host);
    for (auto _ : state) {
        std::string out;
        QElapsedTimer t;
        t.start();
        g_rot13(reinterpret_cast<const uint8_t*>(kPayload.constData()),
                static_cast<size_t>(kPayload.size()), appendTo, &out);
        benchmark::DoNotOptimize(out);
        const double ms = double(t.nsecsElapsed()) / 1e6;
        state.SetIterationTime(ms / 1e3);
        samples.push_back(ms);
    }
}
BENCHMARK(BM_DirectCall)->Iterations(kRuns)->UseManualTime()->Unit(benchmark::kMicrosecond);

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<size_t>(p * double(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();

    double load[3] = {};
    getloadavg(load, 3);
    std::printf("\n== bench_loader summary (%d runs each; load average %.2f on %ld cores) ==\n",
                kRuns, load[0], sysconf(_SC_NPROCESSORS_ONLN));
    auto line = [](const char* what, const std::vector<double>& v, const char* goal) {
        std::printf("%-34s median %9.4f ms   p99 %9.4f ms   %s\n", what, percentile(v, 0.5),
                    percentile(v, 0.99), goal);
    };
    line("spawn+handshake+load+report", g_samples["load"], "(goal: median < 20 ms)");
    line("  of which inside the loader", g_samples["loadInside"], "(verify start -> ready)");
    line("crash -> verdict in PluginModel", g_samples["crash"], "(goal: < 50 ms)");
    line("invoke round trip (rot13, 64 B)", g_samples["invoke"], "");
    auto inspect = [](const char* what, const std::vector<double>& v) {
        std::printf("%-34s median %9.4f ms   max %9.4f ms   (%zu runs)\n", what, percentile(v, 0.5),
                    v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()), v.size());
    };
    inspect("inspect go-plugin (grpc, health)", g_samples["inspectGo"]);
    inspect("inspect libLLVM-14 (110 MB)", g_samples["inspectLlvm"]);
    inspect("  app's own facts of libLLVM", g_samples["factsLlvm"]);
    line("direct in-process call", g_samples["direct"], "");
    const double direct = percentile(g_samples["direct"], 0.5);
    if (direct > 0)
        std::printf("price of isolation (invoke median / direct median): %.0fx\n",
                    percentile(g_samples["invoke"], 0.5) / direct);
    return 0;
}
