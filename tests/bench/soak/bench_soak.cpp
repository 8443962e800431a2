// bench_soak — the app over a long night (issue 11 §6). The busy demo
// (demo?rate=20000&reload=2&churn=1 by default) feeds the real Store and the window's standard
// panels (offscreen) for --minutes; RSS is read every 10 s. It prints the curve, the growth
// between minute 1 and the end (the baseline is minute 1 of the same run), the slope, and
// the projected 24 h figure. Target: flat within 3 MB between minute 1 and minute 4.
// Options (after Google Benchmark's): --minutes=M --url=URL

#include "app/regscope/ConnectorFactory.h"
#include "models/Store.h"
#include "views/MainWindow.h"
#include "views/StandardPanels.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QTimer>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <vector>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

double g_minutes = 4;
QString g_url = u"demo?rate=20000&reload=2&churn=1"_s;

double rssMiB() {
    long pages = 0;
    long resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        std::fclose(f);
    }
    return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

void BM_Soak(benchmark::State& state) {
    for (auto _ : state) {
        Store store;
        MainWindow window;
        addStandardPanels(&window, &store);
        window.setStore(&store);
        auto connector = makeConnector(g_url);
        if (!connector) {
            state.SkipWithError(qPrintable(connector.error().message));
            return;
        }
        QObject::connect(connector->get(), &Connector::eventsReady, &store, &Store::apply,
                         Qt::QueuedConnection);
        window.show();
        (*connector)->start();
        std::vector<std::pair<double, double>> curve; // (seconds, MiB)
        QElapsedTimer clock;
        clock.start();
        QTimer probe;
        probe.setInterval(10'000);
        QObject::connect(&probe, &QTimer::timeout, [&] {
            const double s = double(clock.elapsed()) / 1000.0;
            curve.emplace_back(s, rssMiB());
            std::printf("t=%6.0f s  rss=%7.1f MiB  history=%5.1f MiB  samples=%lld\n", s,
                        curve.back().second, double(store.historyBytes()) / (1 << 20),
                        static_cast<long long>(store.metrics().size()));
            std::fflush(stdout);
            if (s >= g_minutes * 60)
                QApplication::quit();
        });
        probe.start();
        QApplication::exec();
        (*connector)->stop();

        double atMinute1 = 0;
        for (const auto& [s, mib] : curve)
            if (s <= 60.5)
                atMinute1 = mib;
        const double end = curve.empty() ? 0 : curve.back().second;
        const double minutes = curve.empty() ? 0 : (curve.back().first - 60) / 60;
        const double slope = minutes > 0 ? (end - atMinute1) / minutes : 0;
        state.counters["rss_min1_MiB"] = atMinute1;
        state.counters["rss_end_MiB"] = end;
        state.counters["growth_MiB"] = end - atMinute1;
        state.counters["slope_MiB_per_min"] = slope;
        // Projection: the history budget caps what can grow; the slope says how fast it fills.
        state.counters["projected_24h_MiB"] =
            std::min(end + slope * (24 * 60 - curve.back().first / 60),
                     end + double(store.historyBudgetBytes() - store.historyBytes()) / (1 << 20));
        std::printf("growth minute 1 -> end: %.1f MiB (end/minute-1 ratio %.3f), slope %.3f "
                    "MiB/min\n",
                    end - atMinute1, atMinute1 > 0 ? end / atMinute1 : 0.0, slope);
    }
}
BENCHMARK(BM_Soak)->Iterations(1)->Unit(benchmark::kSecond);

} // namespace

int main(int argc, char** argv) {
    std::vector<char*> rest{argv[0]};
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], "--minutes=", 10) == 0)
            g_minutes = std::atof(argv[i] + 10);
        else if (std::strncmp(argv[i], "--url=", 6) == 0)
            g_url = QString::fromUtf8(argv[i] + 6);
        else
            rest.push_back(argv[i]);
    }
    qputenv("QT_QPA_PLATFORM", "offscreen");
    int qargc = 1;
    QApplication app(qargc, argv);
    registerConnectorMetaTypes();
    int bargc = int(rest.size());
    benchmark::Initialize(&bargc, rest.data());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
