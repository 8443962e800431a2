#pragma once
// bench_registry's summary: the variants and loads it runs, a reporter that keeps the medians,
// and the tables, PASS/FAIL verdicts and contention probe printed after the run.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace benchregistry {

inline constexpr std::size_t kSizes[] = {10, 1'000, 100'000};

enum class Variant { Ours, OursEndpoint, Bare, SharedMutex, Mutex };
enum class Load { OneThread, TwoReadersOneWriter };

std::string BenchName(Variant v, Load load, bool hit, std::size_t n);

using Medians = std::map<std::string, double>;

// Collects, per benchmark, the median (over repetitions) ns per lookup per thread, wall and
// CPU, the best repetition's wall time and the writer's rate, for the summary; the console
// shows the aggregates only.
class CollectingReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override;
    Medians real; // medians
    Medians best; // the fastest repetition, wall clock
    Medians cpu;
    Medians writes; // writes_per_s reached by the 2R+1W writer
};

// The load average (1, 5, 15 min) as /proc/loadavg has it.
std::string LoadAverage();

// Prints the wall and CPU tables, the verdicts against the targets and the contention probe.
// Returns how many targets failed.
int PrintSummary(const CollectingReporter& reporter, const std::string& loadBefore);

} // namespace benchregistry
